import CGlslang
import Common
import Foundation

/// GLSL compute source → SPIR-V through glslang's C interface, cached on disk by a hash of the
/// source, the defines and the driver.
public enum ShaderCompiler {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var initialized = false

    /// SPIR-V words for `source` with `#define`s prepended; `cacheKey` adds what else changes the
    /// output (the driver), `name` is used in errors; `cacheDirectory` (nil: none) keeps compiled words.
    public static func spirv(source: String, name: String, defines: [String: String] = [:],
                             cacheKey: String = "", cacheDirectory: URL?) throws -> [UInt32] {
        let preamble = defines.keys.sorted().map { "#define \($0) \(defines[$0]!)\n" }.joined()
        let hash = stableHash(source + "\u{0}" + preamble + "\u{0}" + cacheKey)
        guard let cacheDirectory else { return try compile(source: source, name: name, preamble: preamble) }
        let file = cacheDirectory.appendingPathComponent("\(hash).spv")
        if let data = try? Data(contentsOf: file), data.count % 4 == 0, !data.isEmpty {
            return data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        }
        let words = try compile(source: source, name: name, preamble: preamble)
        // The cache is an optimisation: a read-only home must not stop the run.
        try? FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        try? AtomicFile.write(words.withUnsafeBytes { Data($0) }, to: file)
        return words
    }

    static func compile(source: String, name: String, preamble: String) throws -> [UInt32] {
        try lock.withLock {
            if !initialized {
                glslang_initialize_process()
                initialized = true
            }
            return try source.withCString { code in
                var input = glslang_input_t()
                input.language = GLSLANG_SOURCE_GLSL
                input.stage = GLSLANG_STAGE_COMPUTE
                input.client = GLSLANG_CLIENT_VULKAN
                input.client_version = GLSLANG_TARGET_VULKAN_1_2
                input.target_language = GLSLANG_TARGET_SPV
                input.target_language_version = GLSLANG_TARGET_SPV_1_5
                input.code = code
                input.default_version = 450
                input.default_profile = GLSLANG_NO_PROFILE
                input.messages = GLSLANG_MSG_DEFAULT_BIT
                input.resource = glslang_default_resource()
                guard let shader = glslang_shader_create(&input) else {
                    throw VulkanError(call: "glslang_shader_create", message: "\(name): could not create shader")
                }
                defer { glslang_shader_delete(shader) }
                return try preamble.withCString { preambleText in
                    glslang_shader_set_preamble(shader, preambleText)
                    if glslang_shader_preprocess(shader, &input) == 0 {
                        throw VulkanError(call: "glslang_shader_preprocess", message: "\(name): \(oneLine(glslang_shader_get_info_log(shader)))")
                    }
                    if glslang_shader_parse(shader, &input) == 0 {
                        throw VulkanError(call: "glslang_shader_parse", message: "\(name): \(oneLine(glslang_shader_get_info_log(shader)))")
                    }
                    guard let program = glslang_program_create() else {
                        throw VulkanError(call: "glslang_program_create", message: "\(name): could not create program")
                    }
                    defer { glslang_program_delete(program) }
                    glslang_program_add_shader(program, shader)
                    let messages = Int32(bitPattern: GLSLANG_MSG_SPV_RULES_BIT.rawValue | GLSLANG_MSG_VULKAN_RULES_BIT.rawValue)
                    if glslang_program_link(program, messages) == 0 {
                        throw VulkanError(call: "glslang_program_link", message: "\(name): \(oneLine(glslang_program_get_info_log(program)))")
                    }
                    glslang_program_SPIRV_generate(program, GLSLANG_STAGE_COMPUTE)
                    let count = glslang_program_SPIRV_get_size(program)
                    guard count > 0, let words = glslang_program_SPIRV_get_ptr(program) else {
                        throw VulkanError(call: "glslang_program_SPIRV_generate", message: "\(name): no SPIR-V produced")
                    }
                    return Array(UnsafeBufferPointer(start: words, count: count))
                }
            }
        }
    }

    private static func oneLine(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).split(whereSeparator: \.isNewline).joined(separator: " | ")
    }

    /// Two FNV-1a 64-bit hashes with different offsets: a stable 128-bit file name (Swift's
    /// Hasher is seeded per process, so it cannot name a cache file).
    static func stableHash(_ text: String) -> String {
        var a = FNV1a(), b = FNV1a(offset: 0x8422_2325_cbf2_9ce4)
        a.add(text)
        b.add(text)
        return a.hex + b.hex
    }
}
