import Testing
import Pipeline

@Test func PipelineModuleLinks() {
    #expect(String(describing: PipelineModule.self) == "PipelineModule")
}
