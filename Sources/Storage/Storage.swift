/// Namespace for the Storage module.
public enum StorageModule {}
