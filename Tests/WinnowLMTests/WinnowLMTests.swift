import Testing
@testable import WinnowLM
