import Testing
import Model

@Test func ModelModuleLinks() {
    #expect(String(describing: ModelModule.self) == "ModelModule")
}
