package configfile_test

import (
	"fmt"

	"github.com/apikit/apikit-go/cmd/apikit/internal/configfile"
)

// An edit keeps the user's comments and the order of their keys.
func ExampleDoc_Set() {
	d, err := configfile.Parse([]byte(`# my keys
profiles:
  prod:
    hypedata:
      base_url: https://api.hypedata.io # EU soon
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	d.Set("prod", "hypedata", "base_url", "https://eu.hypedata.io")
	d.SetList("prod", "hopx", "api_key_command", []string{"op", "read", "op://prod/hopx"})
	b, _ := d.Bytes()
	fmt.Print(string(b))
	// Output:
	// # my keys
	// profiles:
	//   prod:
	//     hypedata:
	//       base_url: https://eu.hypedata.io # EU soon
	//     hopx:
	//       api_key_command: [op, read, 'op://prod/hopx']
}
