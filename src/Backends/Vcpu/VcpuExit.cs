namespace Isa.Backends.Vcpu;

/// <summary>
/// A normalized exit of a virtual processor. For <see cref="VcpuExitKind.PortIo"/>: the port, the
/// access size in bytes (1, 2, 4), whether it was an <c>out</c>, the value written (an <c>out</c>) and
/// the length of the instruction. For <see cref="VcpuExitKind.UnmappedMemory"/>: the guest-physical
/// address and whether it was a write.
/// </summary>
public readonly record struct VcpuExit(
    VcpuExitKind Kind,
    ushort Port = 0,
    byte Size = 0,
    bool IsWrite = false,
    uint Data = 0,
    byte InstructionLength = 0,
    ulong Address = 0,
    string? Message = null)
{
    public static VcpuExit Out(ushort port, byte size, uint data, byte instructionLength = 0) => new(VcpuExitKind.PortIo, port, size, true, data, instructionLength);

    public static VcpuExit Fail(string message) => new(VcpuExitKind.Failure, Message: message);

    public override string ToString() => Kind switch
    {
        VcpuExitKind.PortIo => $"{(IsWrite ? "out" : "in")} port 0x{Port:x} size {Size} data 0x{Data:x}",
        VcpuExitKind.UnmappedMemory => $"{(IsWrite ? "write" : "read")} of unmapped guest-physical 0x{Address:x}",
        VcpuExitKind.Failure => $"failure: {Message}",
        _ => Kind.ToString(),
    };
}
