import Testing
import Parquet
