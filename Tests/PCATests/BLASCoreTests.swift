import Testing
import PCA

@Suite struct BLASCoreTests {
    @Test func theLinkedOpenBLASNamesItsCore() {
        let name = BLASCore.name
        #expect(!name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "core name \(name)")
        #expect(BLASCore.report(cpuHasAVX2: false, cpuHasAVX512: false) == "OpenBLAS kernels: \(name) (PCA statistics and fits)")
    }

    @Test(arguments: [("Prescott", true, false, "Haswell"), ("Prescott", true, true, "SkylakeX"), ("SandyBridge", true, false, "Haswell"),
                      ("Core2", false, true, "SkylakeX")])
    func aCoreWithoutAVX2OnACPUWithItGetsAHint(core: String, avx2: Bool, avx512: Bool, better: String) {
        let line = BLASCore.report(name: core, cpuHasAVX2: avx2, cpuHasAVX512: avx512)
        #expect(line.hasPrefix("OpenBLAS kernels: \(core) (PCA statistics and fits); OpenBLAS did not recognise this "))
        #expect(line.hasSuffix("OPENBLAS_CORETYPE=\(better) in the environment gives it faster kernels"), "\(line)")
    }

    @Test(arguments: [("Haswell", true, false), ("SkylakeX", true, true), ("Zen", true, false), ("Prescott", false, false)])
    func noHintWhereTheCoreFitsTheCPU(core: String, avx2: Bool, avx512: Bool) {
        #expect(BLASCore.report(name: core, cpuHasAVX2: avx2, cpuHasAVX512: avx512) == "OpenBLAS kernels: \(core) (PCA statistics and fits)")
    }
}
