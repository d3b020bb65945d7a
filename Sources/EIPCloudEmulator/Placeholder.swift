// The Alibaba Cloud OpenAPI emulator (being written).
enum EmulatorPlaceholder {}
