/// LAPACK's `info` codes, checked in one place as Vulkan's results are by `check(_:_:)`: 0 is success;
/// anything else (an illegal argument when negative, a numerical failure when positive) stops the fit.
enum LAPACKStatus {
    /// Throws `PCAError.lapackFailed` naming `routine` unless `info` is 0.
    static func check(_ info: Int32, _ routine: String) throws {
        guard info == 0 else { throw PCAError.lapackFailed(routine: routine, info: Int(info)) }
    }
}
