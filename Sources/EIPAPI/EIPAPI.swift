// The types and server stubs of `api/openapi.yaml`, generated at build time by the
// swift-openapi-generator plugin (see openapi-generator-config.yaml).
