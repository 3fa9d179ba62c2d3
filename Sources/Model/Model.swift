/// Namespace for the Model module.
public enum ModelModule {}
