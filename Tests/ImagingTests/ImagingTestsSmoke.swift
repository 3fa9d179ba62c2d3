import Testing
import Imaging

@Test func ImagingModuleLinks() {
    #expect(String(describing: ImagingModule.self) == "ImagingModule")
}
