package termsafe_test

import (
	"fmt"

	"github.com/apikit/apikit-go/cmd/apikit/internal/termsafe"
)

func ExampleText() {
	fmt.Println(termsafe.Text("config.yaml: \x1b]0;retitled\x07 is not valid\nfix: none"))
	// Output: config.yaml: \x1b]0;retitled\a is not valid\nfix: none
}

func ExamplePath() {
	fmt.Println(termsafe.Path("src/app.go"))
	fmt.Println(termsafe.Path("src/\x1b[2Jforged.go"))
	// Output:
	// src/app.go
	// "src/\x1b[2Jforged.go"
}
