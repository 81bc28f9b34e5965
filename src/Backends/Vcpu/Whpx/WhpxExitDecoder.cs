using System.Runtime.InteropServices;
using Iced.Intel;

namespace Isa.Backends.Vcpu.Whpx;

/// <summary>Turns a WHV_RUN_VP_EXIT_CONTEXT into a <see cref="WhpxExit"/>; pure, so recorded bytes test it.</summary>
public static class WhpxExitDecoder
{
    /// <summary>Decodes <paramref name="context"/>: the 224 bytes WHvRunVirtualProcessor filled in.</summary>
    public static WhpxExit Decode(ReadOnlySpan<byte> context)
    {
        if (context.Length < WhpxNative.ExitContextSize)
        {
            throw new ArgumentException($"a WHPX exit context has {WhpxNative.ExitContextSize} bytes, not {context.Length}", nameof(context));
        }

        ref readonly WhpxNative.RunVpExitContext c = ref MemoryMarshal.AsRef<WhpxNative.RunVpExitContext>(context);
        ulong rip = c.VpContext.Rip;
        switch (c.ExitReason)
        {
            case WhpxNative.ExitX64IoPortAccess:
                return PortIo(in c);
            case WhpxNative.ExitMemoryAccess:
                return new WhpxExit(MemoryAccess(in c.MemoryAccess, rip));
            case WhpxNative.ExitX64Halt:
                return new WhpxExit(new VcpuExit(VcpuExitKind.Halt));
            case WhpxNative.ExitUnrecoverableException:
                // A triple fault: the processor shut down, as KVM's shutdown exit.
                return new WhpxExit(new VcpuExit(VcpuExitKind.Shutdown));
            case WhpxNative.ExitCanceled:
                return new WhpxExit(new VcpuExit(VcpuExitKind.Canceled));
            case WhpxNative.ExitInvalidVpRegisterValue:
                return Fail($"WHPX rejected the virtual processor's register state (invalid register value) at RIP 0x{rip:x}");
            case WhpxNative.ExitUnsupportedFeature:
                {
                    WhpxNative.UnsupportedFeatureContext f = c.UnsupportedFeature;
                    string feature = f.FeatureCode switch
                    {
                        WhpxNative.UnsupportedFeatureIntercept => "an intercept",
                        WhpxNative.UnsupportedFeatureTaskSwitchTss => "a task switch through a TSS",
                        _ => $"feature code {f.FeatureCode}",
                    };
                    return Fail($"WHPX does not support {feature} (parameter 0x{f.FeatureParameter:x}) at RIP 0x{rip:x}");
                }

            case WhpxNative.ExitException:
                {
                    WhpxNative.ExceptionContext e = c.VpException;
                    string error = (e.ExceptionInfo & 1) != 0 ? $", error code 0x{e.ErrorCode:x}" : "";
                    return Fail($"exception {e.ExceptionType}{error} (parameter 0x{e.ExceptionParameter:x}) at RIP 0x{rip:x}");
                }

            default:
                return Fail($"unexpected WHPX exit reason 0x{c.ExitReason:x} at RIP 0x{rip:x}");
        }
    }

    private static WhpxExit PortIo(in WhpxNative.RunVpExitContext c)
    {
        WhpxNative.IoPortAccessContext io = c.IoPortAccess;
        bool isOut = (io.AccessInfo & WhpxNative.IoIsWrite) != 0;
        byte size = (byte)((io.AccessInfo >> 1) & 7);
        int length = c.VpContext.InstructionLength;
        if ((io.AccessInfo & (WhpxNative.IoStringOp | WhpxNative.IoRepPrefix)) != 0 || size is not (1 or 2 or 4) || length == 0)
        {
            return Fail($"unsupported port I/O: port 0x{io.PortNumber:x}, size {size}, access info 0x{io.AccessInfo:x}, instruction length {length}, at RIP 0x{c.VpContext.Rip:x}");
        }

        uint data = isOut ? (uint)(io.Rax & (0xFFFF_FFFFUL >> (32 - (8 * size)))) : 0u;

        // WHPX leaves RIP on the in/out instruction: the run resumes after it.
        return new WhpxExit(new VcpuExit(VcpuExitKind.PortIo, io.PortNumber, size, isOut, data, (byte)length), c.VpContext.Rip + (ulong)length);
    }

    private static unsafe VcpuExit MemoryAccess(in WhpxNative.MemoryAccessContext m, ulong rip)
    {
        uint type = m.AccessInfo & 3;
        string access = type switch
        {
            WhpxNative.MemoryAccessWrite => "write",
            WhpxNative.MemoryAccessExecute => "instruction fetch",
            _ => "read",
        };
        string where = (m.AccessInfo & WhpxNative.MemoryAccessGvaValid) != 0 ? $"guest-virtual 0x{m.Gva:x}, " : "";
        if ((m.AccessInfo & WhpxNative.MemoryAccessGpaUnmapped) == 0)
        {
            // Mapped, but its WHvMapGpaRange flags forbid this access (a write to a read-only range).
            return VcpuExit.Fail($"{access} of guest-physical 0x{m.Gpa:x} ({where}RIP 0x{rip:x}) denied by its mapping");
        }

        // WHPX gives the instruction's bytes, not the access size: decode them for it (an error path, not a hot one).
        byte count = Math.Min(m.InstructionByteCount, (byte)16);
        byte[] bytes = new byte[count];
        fixed (byte* b = m.InstructionBytes)
        {
            new ReadOnlySpan<byte>(b, count).CopyTo(bytes);
        }

        return new VcpuExit(VcpuExitKind.UnmappedMemory, Size: AccessSize(bytes), IsWrite: type == WhpxNative.MemoryAccessWrite, Address: m.Gpa,
            Message: $"{access} of unmapped guest-physical 0x{m.Gpa:x} ({where}RIP 0x{rip:x})");
    }

    /// <summary>The size of the memory operand of the x64 instruction in <paramref name="instruction"/>, 0 when it has none or cannot be decoded.</summary>
    private static byte AccessSize(byte[] instruction)
    {
        if (instruction.Length == 0)
        {
            return 0;
        }

        Decoder decoder = Decoder.Create(64, new ByteArrayCodeReader(instruction));
        decoder.Decode(out Instruction decoded);
        return decoded.IsInvalid ? (byte)0 : (byte)Math.Min(decoded.MemorySize.GetSize(), 255);
    }

    private static WhpxExit Fail(string message) => new(VcpuExit.Fail(message));
}
