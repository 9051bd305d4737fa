module github.com/apikit/apikit-go/credentials/filewatch

go 1.24

replace github.com/apikit/apikit-go => ../..

require (
	github.com/apikit/apikit-go v0.2.0
	github.com/fsnotify/fsnotify v1.8.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/joho/godotenv v1.5.1 // indirect
	golang.org/x/sys v0.20.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
