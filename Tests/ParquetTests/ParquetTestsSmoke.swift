import Testing
import Parquet

@Test func ParquetModuleLinks() {
    #expect(String(describing: ParquetModule.self) == "ParquetModule")
}
