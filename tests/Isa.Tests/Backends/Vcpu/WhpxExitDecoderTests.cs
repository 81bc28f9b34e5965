using System.Buffers.Binary;
using Isa.Backends.Vcpu;
using Isa.Backends.Vcpu.Whpx;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>
/// WHPX exits decoded from recorded exit contexts: 224-byte WHV_RUN_VP_EXIT_CONTEXT images built field
/// by field at the offsets Microsoft documents (reason at 0, WHV_VP_EXIT_CONTEXT at 8, the union at 48).
/// </summary>
public sealed class WhpxExitDecoderTests
{
    internal const ulong Rip = 0x7f00_1234_5000;

    [Fact]
    public void AnOutExitAdvancesRipByTheInstructionLength()
    {
        // out dx, ax (66 EF): 2 bytes; CR8 5 shares the length's byte.
        byte[] context = Exit(reason: 2, instructionLength: 2, cr8: 5);
        Instruction(context, 0x66, 0xEF);
        Le32(context, 68, 1 | (2 << 1)); // IsWrite, AccessSize 2
        Le16(context, 72, 0x0E9);
        Le64(context, 80, 0xDEAD_BEEF_1234_5678);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(new VcpuExit(VcpuExitKind.PortIo, Port: 0xE9, Size: 2, IsWrite: true, Data: 0x5678, InstructionLength: 2), exit.Exit);
        Assert.Equal(Rip + 2, exit.ResumeRip);
    }

    [Fact]
    public void AFourByteOutCarriesTheLowHalfOfRax()
    {
        byte[] context = Exit(reason: 2, instructionLength: 1);
        Instruction(context, 0xEF); // out dx, eax
        Le32(context, 68, 1 | (4 << 1));
        Le16(context, 72, 0x1234);
        Le64(context, 80, 0xDEAD_BEEF_CAFE_F00D);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExit.Out(0x1234, 4, 0xCAFE_F00D, instructionLength: 1), exit.Exit);
        Assert.Equal(Rip + 1, exit.ResumeRip);
    }

    [Fact]
    public void AnInExitCarriesNoDataAndStillAdvances()
    {
        byte[] context = Exit(reason: 2, instructionLength: 2);
        Instruction(context, 0xE4, 0x60); // in al, 0x60
        Le32(context, 68, 1 << 1);
        Le16(context, 72, 0x60);
        Le64(context, 80, 0xFF);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExitKind.PortIo, exit.Exit.Kind);
        Assert.False(exit.Exit.IsWrite);
        Assert.Equal(0u, exit.Exit.Data);
        Assert.Equal(1, exit.Exit.Size);
        Assert.Equal(Rip + 2, exit.ResumeRip);
    }

    [Theory]
    [InlineData(1 | (1 << 1) | (1 << 4), 1)] // outsb: a string operation
    [InlineData(1 | (1 << 1) | (1 << 4) | (1 << 5), 2)] // rep outsb
    [InlineData(1 | (3 << 1), 1)] // a size that does not exist
    [InlineData(1 | (1 << 1), 0)] // no instruction length to advance by
    public void PortIoTheProtocolDoesNotUseFailsClearly(uint accessInfo, int length)
    {
        byte[] context = Exit(reason: 2, instructionLength: length);
        Le32(context, 68, accessInfo);
        Le16(context, 72, 0x80);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExitKind.Failure, exit.Exit.Kind);
        Assert.Contains("port 0x80", exit.Exit.Message);
        Assert.Null(exit.ResumeRip);
    }

    [Fact]
    public void AnUnmappedReadGivesTheGuestPhysicalAddressAndTheSizeFromTheInstructionBytes()
    {
        byte[] context = Exit(reason: 1, instructionLength: 5);
        Instruction(context, 0x65, 0x67, 0x8B, 0x42, 0x10); // mov eax, gs:[edx+0x10]
        Le32(context, 68, 0 | (1 << 2) | (1 << 3)); // read, GpaUnmapped, GvaValid
        Le64(context, 72, 0x1_2345_6010);
        Le64(context, 80, 0x7ffe_0000_0010);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExitKind.UnmappedMemory, exit.Exit.Kind);
        Assert.Equal(0x1_2345_6010UL, exit.Exit.Address);
        Assert.False(exit.Exit.IsWrite);
        Assert.Equal(4, exit.Exit.Size);
        Assert.Contains("guest-virtual 0x7ffe00000010", exit.Exit.Message);
        Assert.Null(exit.ResumeRip);
    }

    [Fact]
    public void AnUnmappedWriteIsAWrite()
    {
        byte[] context = Exit(reason: 1, instructionLength: 4);
        Instruction(context, 0x64, 0x67, 0x88, 0x01); // mov fs:[ecx], al
        Le32(context, 68, 1 | (1 << 2));
        Le64(context, 72, 0x2_0000_0000);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExitKind.UnmappedMemory, exit.Exit.Kind);
        Assert.True(exit.Exit.IsWrite);
        Assert.Equal(1, exit.Exit.Size);
        Assert.Equal(0x2_0000_0000UL, exit.Exit.Address);
        Assert.DoesNotContain("guest-virtual", exit.Exit.Message);
    }

    [Fact]
    public void AnInstructionFetchFromUnmappedMemoryIsARead()
    {
        byte[] context = Exit(reason: 1, instructionLength: 0);
        Le32(context, 68, 2 | (1 << 2));
        Le64(context, 72, 0x3_0000_0000);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExitKind.UnmappedMemory, exit.Exit.Kind);
        Assert.False(exit.Exit.IsWrite);
        Assert.Equal(0, exit.Exit.Size);
        Assert.StartsWith("instruction fetch", exit.Exit.Message);
    }

    [Fact]
    public void AnAccessAMappingForbidsIsAFailureNamingIt()
    {
        byte[] context = Exit(reason: 1, instructionLength: 2);
        Instruction(context, 0x89, 0x01); // mov [rcx], eax
        Le32(context, 68, 1); // write, mapped
        Le64(context, 72, 0x1_0000_2000);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExitKind.Failure, exit.Exit.Kind);
        Assert.Contains("write of guest-physical 0x100002000", exit.Exit.Message);
        Assert.Contains("denied", exit.Exit.Message);
    }

    [Theory]
    [InlineData(8u, VcpuExitKind.Halt)]
    [InlineData(0x2001u, VcpuExitKind.Canceled)]
    [InlineData(4u, VcpuExitKind.Shutdown)]
    public void ExitsWithoutContextMapToTheirKinds(uint reason, VcpuExitKind kind)
    {
        WhpxExit exit = WhpxExitDecoder.Decode(Exit(reason, instructionLength: 1));
        Assert.Equal(new VcpuExit(kind), exit.Exit);
        Assert.Null(exit.ResumeRip);
    }

    [Fact]
    public void AnInvalidRegisterStateIsAFailure()
    {
        WhpxExit exit = WhpxExitDecoder.Decode(Exit(reason: 5, instructionLength: 0));
        Assert.Equal(VcpuExitKind.Failure, exit.Exit.Kind);
        Assert.Contains("invalid register value", exit.Exit.Message);
        Assert.Contains($"RIP 0x{Rip:x}", exit.Exit.Message);
    }

    [Fact]
    public void AnUnsupportedFeatureNamesIt()
    {
        byte[] context = Exit(reason: 6, instructionLength: 0);
        Le32(context, 48, 2); // WHvUnsupportedFeatureTaskSwitchTss
        Le64(context, 56, 0x18);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExitKind.Failure, exit.Exit.Kind);
        Assert.Contains("task switch", exit.Exit.Message);
        Assert.Contains("0x18", exit.Exit.Message);
    }

    [Fact]
    public void AnExceptionExitGivesVectorAndErrorCode()
    {
        byte[] context = Exit(reason: 0x1002, instructionLength: 0);
        Le32(context, 68, 1); // ErrorCodeValid
        context[72] = 14;
        Le32(context, 76, 0x6);
        Le64(context, 80, 0xdead_0000);

        WhpxExit exit = WhpxExitDecoder.Decode(context);
        Assert.Equal(VcpuExitKind.Failure, exit.Exit.Kind);
        Assert.Contains("exception 14, error code 0x6 (parameter 0xdead0000)", exit.Exit.Message);
    }

    [Theory]
    [InlineData(0x1001u)] // CPUID: never enabled
    [InlineData(7u)] // interrupt window
    [InlineData(0x7777u)]
    public void OtherReasonsAreFailuresNamingTheReason(uint reason)
    {
        WhpxExit exit = WhpxExitDecoder.Decode(Exit(reason, instructionLength: 2));
        Assert.Equal(VcpuExitKind.Failure, exit.Exit.Kind);
        Assert.Contains($"exit reason 0x{reason:x}", exit.Exit.Message);
    }

    [Fact]
    public void AShortContextIsRejected()
    {
        Assert.Throws<ArgumentException>(() => WhpxExitDecoder.Decode(new byte[100]));
    }

    /// <summary>A context with <paramref name="reason"/> and the common part: 64-bit CS, <see cref="Rip"/>, the length and CR8 nibbles.</summary>
    internal static byte[] Exit(uint reason, int instructionLength, int cr8 = 0)
    {
        var context = new byte[224];
        Le32(context, 0, reason);
        Le16(context, 8, 0b1_0001); // CPL 0, CR0.PE, EFER.LMA
        context[10] = (byte)(instructionLength | (cr8 << 4));
        Le16(context, 16 + 12, 0x08); // CS selector
        Le16(context, 16 + 14, 0xA09B); // CS attributes
        Le64(context, 32, Rip);
        Le64(context, 40, 0x202);
        return context;
    }

    /// <summary>InstructionByteCount at 48 and InstructionBytes at 52, as memory-access and port-I/O contexts have them.</summary>
    internal static void Instruction(byte[] context, params byte[] bytes)
    {
        context[48] = (byte)bytes.Length;
        bytes.CopyTo(context, 52);
    }

    internal static void Le16(byte[] b, int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(offset), value);

    internal static void Le32(byte[] b, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(offset), value);

    internal static void Le64(byte[] b, int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(offset), value);
}
