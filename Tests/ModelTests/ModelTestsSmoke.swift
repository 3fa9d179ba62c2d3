import Testing
@testable import Model

@Test func ModelModuleLinks() {
    #expect(String(describing: ModelModule.self) == "ModelModule")
}
