namespace Isa.Runtime.Memory;

/// <summary>
/// A guest access to an unmapped page or one without the needed permission. Engines turn it into
/// a <see cref="Cpu.TrapKind.MemoryFault"/> exit at the faulting instruction; it never reaches host memory.
/// </summary>
public sealed class GuestFaultException(uint address, MemoryPermissions access)
    : Exception($"guest {AccessName(access)} of unmapped or protected address 0x{address:x8}")
{
    public uint Address { get; } = address;

    public MemoryPermissions Access { get; } = access;

    private static string AccessName(MemoryPermissions access) => access switch
    {
        MemoryPermissions.Write => "write",
        MemoryPermissions.Execute => "instruction fetch",
        _ => "read",
    };
}
