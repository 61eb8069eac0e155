import Testing
@testable import WinnowSelect
