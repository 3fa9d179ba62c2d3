import Pipeline
import Testing

/// What the edge reads from the environment, where it goes, and the one line a value outside what a
/// variable accepts gets instead of a silent default.
@Suite struct EnvironmentSettingsTests {
    @Test(arguments: [(nil, "auto"), ("auto", "auto"), ("on", "on"), ("off", "off"), ("measure", "measure"), ("", "auto")])
    func fusedBlocksFromEnvironment(_ value: String?, expected: String) throws {
        let environment = value.map { ["IMGFEAT_VULKAN_FUSED_BLOCKS": $0] } ?? [:]
        let settings = try EnvironmentSettings(environment: environment)
        #expect(settings.fusedBlocks.rawValue == expected, "IMGFEAT_VULKAN_FUSED_BLOCKS=\(value ?? "(unset)")")
        #expect(RunOptions(input: "in", output: "out", settings: settings).fusedBlocks.rawValue == expected)
    }

    @Test(arguments: [(nil, "fused"), ("fused", "fused"), ("separate", "separate"), ("SEPARATE", "separate")])
    func headPoolFromEnvironment(_ value: String?, expected: String) throws {
        let environment = value.map { ["IMGFEAT_VULKAN_HEAD_POOL": $0] } ?? [:]
        let settings = try EnvironmentSettings(environment: environment)
        #expect(settings.headPool.rawValue == expected, "IMGFEAT_VULKAN_HEAD_POOL=\(value ?? "(unset)")")
        #expect(RunOptions(input: "in", output: "out", settings: settings).headPool.rawValue == expected)
    }

    @Test(arguments: [(nil, "auto", nil), ("subgroup", "subgroup", "subgroup"),
                      ("Shared-Memory", "shared-memory", "shared-memory")])
    func reductionFromEnvironment(_ value: String?, expected: String, forced: String?) throws {
        let environment = value.map { ["IMGFEAT_VULKAN_REDUCTION": $0] } ?? [:]
        let options = RunOptions(input: "in", output: "out", settings: try EnvironmentSettings(environment: environment))
        #expect(options.reduction.rawValue == expected, "IMGFEAT_VULKAN_REDUCTION=\(value ?? "(unset)")")
        #expect(options.reduction.forced?.rawValue == forced)
    }

    @Test func validValuesReachTheSettings() throws {
        let settings = try EnvironmentSettings(environment: [
            "IMGFEAT_S3_CONCURRENCY": "7", "IMGFEAT_S3_STALL_SECONDS": "2.5", "IMGFEAT_S3_MAX_ATTEMPTS": "3",
            "IMGFEAT_NO_SIGN_REQUEST": "true", "IMGFEAT_S3_INSECURE": "1", "IMGFEAT_OFFLINE": "yes",
            "IMGFEAT_VULKAN_VALIDATION": "1"])
        #expect(settings.storage.concurrency == 7 && settings.storage.stallTimeout == 2.5)
        #expect(settings.storage.retry.maxAttempts == 3)
        #expect(settings.storage.anonymous && settings.storage.insecure)
        #expect(settings.weightsSearch.offline && settings.vulkan.validation)
        let off = try EnvironmentSettings(environment: [
            "IMGFEAT_NO_SIGN_REQUEST": "0", "IMGFEAT_S3_INSECURE": "no", "IMGFEAT_OFFLINE": "False",
            "IMGFEAT_VULKAN_VALIDATION": ""])
        #expect(!off.storage.anonymous && !off.storage.insecure && !off.weightsSearch.offline && !off.vulkan.validation)
        let defaults = EnvironmentSettings.defaults
        #expect(defaults.storage.concurrency == 32 && defaults.headPool == .fused && defaults.fusedBlocks == .auto)
    }

    /// Refused like the others, whatever FusedBlockMode's own wording of what it accepts.
    @Test func unknownFusedBlocksValueIsRefused() {
        do {
            _ = try EnvironmentSettings(environment: ["IMGFEAT_VULKAN_FUSED_BLOCKS": "yes"])
            Issue.record("IMGFEAT_VULKAN_FUSED_BLOCKS=yes was accepted")
        } catch {
            #expect("\(error)".hasPrefix("IMGFEAT_VULKAN_FUSED_BLOCKS=yes is not "), "\(error)")
        }
    }

    /// Each variable with a fixed set of values or a range: the exact line a bad value gets.
    @Test(arguments: [
        ("IMGFEAT_VULKAN_HEAD_POOL", "fusd", "IMGFEAT_VULKAN_HEAD_POOL=fusd is not one of fused, separate"),
        ("IMGFEAT_VULKAN_FUSED_BLOCKS", "yes", "IMGFEAT_VULKAN_FUSED_BLOCKS=yes is not one of auto, on, off, measure"),
        ("IMGFEAT_VULKAN_REDUCTION", "warp", "IMGFEAT_VULKAN_REDUCTION=warp is not one of auto, subgroup, shared-memory"),
        ("IMGFEAT_S3_CONCURRENCY", "0", "IMGFEAT_S3_CONCURRENCY=0 is not a whole number from 1 to 1024"),
        ("IMGFEAT_S3_CONCURRENCY", "lots", "IMGFEAT_S3_CONCURRENCY=lots is not a whole number from 1 to 1024"),
        ("IMGFEAT_S3_STALL_SECONDS", "-1", "IMGFEAT_S3_STALL_SECONDS=-1 is not a number of seconds above 0"),
        ("IMGFEAT_S3_MAX_ATTEMPTS", "2.5", "IMGFEAT_S3_MAX_ATTEMPTS=2.5 is not a whole number of at least 1"),
        ("IMGFEAT_NO_SIGN_REQUEST", "on", "IMGFEAT_NO_SIGN_REQUEST=on is not one of 1, true, yes, 0, false, no"),
        ("IMGFEAT_S3_INSECURE", "2", "IMGFEAT_S3_INSECURE=2 is not one of 1, true, yes, 0, false, no"),
        ("IMGFEAT_OFFLINE", "y", "IMGFEAT_OFFLINE=y is not one of 1, true, yes, 0, false, no"),
        ("IMGFEAT_VULKAN_VALIDATION", "enabled", "IMGFEAT_VULKAN_VALIDATION=enabled is not one of 1, true, yes, 0, false, no"),
    ])
    func valueOutsideWhatTheVariableAcceptsIsOneLine(_ name: String, _ value: String, _ expected: String) {
        do {
            _ = try EnvironmentSettings(environment: [name: value])
            Issue.record("\(name)=\(value) was accepted")
        } catch {
            #expect("\(error)" == expected)
        }
    }
}
