import Testing
import SealCore
import SealVectors

@Test func placeholderCompiles() {}
