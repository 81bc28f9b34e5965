using System.Buffers.Binary;

namespace Isa.Backends.Vcpu.Kvm;

/// <summary>Turns the exit fields of a <c>struct kvm_run</c> into a <see cref="VcpuExit"/>; pure, so recorded bytes test it.</summary>
public static class KvmExitDecoder
{
    public const int ExitReasonOffset = 8, UnionOffset = 32;
    public const uint ExitUnknown = 0, ExitException = 1, ExitIo = 2, ExitHlt = 5, ExitMmio = 6, ExitShutdown = 8;
    public const uint ExitFailEntry = 9, ExitIntr = 10, ExitInternalError = 17, ExitSystemEvent = 24, ExitMemoryFault = 39;

    /// <summary>Decodes <paramref name="run"/> (at least the fixed part and the I/O data it points to).</summary>
    public static VcpuExit Decode(ReadOnlySpan<byte> run)
    {
        uint reason = BinaryPrimitives.ReadUInt32LittleEndian(run[ExitReasonOffset..]);
        ReadOnlySpan<byte> u = run[UnionOffset..];
        switch (reason)
        {
            case ExitIo:
                {
                    bool isOut = u[0] == 1;
                    byte size = u[1];
                    ushort port = BinaryPrimitives.ReadUInt16LittleEndian(u[2..]);
                    uint count = BinaryPrimitives.ReadUInt32LittleEndian(u[4..]);
                    ulong dataOffset = BinaryPrimitives.ReadUInt64LittleEndian(u[8..]);
                    if (count != 1 || size is not (1 or 2 or 4) || dataOffset + size > (ulong)run.Length)
                    {
                        return VcpuExit.Fail($"unsupported port I/O: port 0x{port:x}, size {size}, count {count}");
                    }

                    uint data = 0;
                    for (int i = 0; i < size; i++)
                    {
                        data |= (uint)run[(int)dataOffset + i] << (8 * i);
                    }

                    // KVM has already advanced RIP past the instruction: its length is not reported.
                    return new VcpuExit(VcpuExitKind.PortIo, port, size, isOut, isOut ? data : 0u);
                }

            case ExitHlt:
                return new VcpuExit(VcpuExitKind.Halt);
            case ExitMmio:
                return new VcpuExit(VcpuExitKind.UnmappedMemory, Address: BinaryPrimitives.ReadUInt64LittleEndian(u), IsWrite: u[20] != 0, Size: (byte)BinaryPrimitives.ReadUInt32LittleEndian(u[16..]));
            case ExitShutdown:
                return new VcpuExit(VcpuExitKind.Shutdown);
            case ExitIntr:
                return new VcpuExit(VcpuExitKind.Canceled);
            case ExitFailEntry:
                return VcpuExit.Fail($"KVM could not enter the vCPU (hardware entry failure reason 0x{BinaryPrimitives.ReadUInt64LittleEndian(u):x})");
            case ExitInternalError:
                return VcpuExit.Fail($"KVM internal error (suberror {BinaryPrimitives.ReadUInt32LittleEndian(u)})");
            case ExitMemoryFault:
                return VcpuExit.Fail($"KVM memory fault at guest-physical 0x{BinaryPrimitives.ReadUInt64LittleEndian(u[8..]):x} (host memory not accessible)");
            default:
                return VcpuExit.Fail($"unexpected KVM exit reason {reason}");
        }
    }
}
