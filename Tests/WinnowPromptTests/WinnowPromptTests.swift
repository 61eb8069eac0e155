import Testing
@testable import WinnowPrompt
