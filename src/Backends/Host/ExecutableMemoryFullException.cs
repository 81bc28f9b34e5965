namespace Isa.Backends.Host;

/// <summary>
/// An <see cref="ExecutableMemory"/> or <see cref="CodeSpace"/> has no room for an allocation: the
/// JIT resets its code space (dropping all translations) and translates again.
/// </summary>
public sealed class ExecutableMemoryFullException : OutOfMemoryException
{
    public ExecutableMemoryFullException(int size, long used, long capacity)
        : base($"JIT code memory is full: {size} bytes requested, {used} of {capacity} used (reset it)")
    {
    }

    public ExecutableMemoryFullException(string message)
        : base(message)
    {
    }
}
