print("eip-cloud-emulator: being written")
