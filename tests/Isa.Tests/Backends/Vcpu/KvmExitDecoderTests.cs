using Isa.Backends.Vcpu;
using Isa.Backends.Vcpu.Kvm;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>KVM exits decoded from <c>struct kvm_run</c> bytes laid out as the kernel writes them.</summary>
public sealed class KvmExitDecoderTests
{
    private static byte[] Run(uint reason, Action<byte[]> fill)
    {
        var run = new byte[4096];
        BitConverter.GetBytes(reason).CopyTo(run, KvmExitDecoder.ExitReasonOffset);
        fill(run);
        return run;
    }

    [Fact]
    public void AnOutCarriesPortSizeAndTheDataAtItsOffset()
    {
        byte[] run = Run(KvmExitDecoder.ExitIo, r =>
        {
            r[32] = 1; // out
            r[33] = 4;
            BitConverter.GetBytes((ushort)0xE0).CopyTo(r, 34);
            BitConverter.GetBytes(1u).CopyTo(r, 36);
            BitConverter.GetBytes(0x200UL).CopyTo(r, 40);
            BitConverter.GetBytes(0x105u).CopyTo(r, 0x200);
        });
        Assert.Equal(VcpuExit.Out(0xE0, 4, 0x105), KvmExitDecoder.Decode(run));
    }

    [Fact]
    public void AByteInIsAReadWithoutData()
    {
        byte[] run = Run(KvmExitDecoder.ExitIo, r =>
        {
            r[33] = 1;
            BitConverter.GetBytes((ushort)0x3F8).CopyTo(r, 34);
            BitConverter.GetBytes(1u).CopyTo(r, 36);
            BitConverter.GetBytes(0x200UL).CopyTo(r, 40);
            r[0x200] = 0xAA;
        });
        Assert.Equal(new VcpuExit(VcpuExitKind.PortIo, 0x3F8, 1, false, 0), KvmExitDecoder.Decode(run));
    }

    [Fact]
    public void StringIoAndDataOutsideTheStructureAreFailures()
    {
        byte[] rep = Run(KvmExitDecoder.ExitIo, r =>
        {
            r[32] = 1;
            r[33] = 4;
            BitConverter.GetBytes(3u).CopyTo(r, 36);
            BitConverter.GetBytes(0x200UL).CopyTo(r, 40);
        });
        Assert.Equal(VcpuExitKind.Failure, KvmExitDecoder.Decode(rep).Kind);
        byte[] outside = Run(KvmExitDecoder.ExitIo, r =>
        {
            r[32] = 1;
            r[33] = 4;
            BitConverter.GetBytes(1u).CopyTo(r, 36);
            BitConverter.GetBytes(0xFFFFUL).CopyTo(r, 40);
        });
        Assert.Equal(VcpuExitKind.Failure, KvmExitDecoder.Decode(outside).Kind);
    }

    [Fact]
    public void MmioIsAnAccessToUnmappedGuestPhysicalMemory()
    {
        byte[] run = Run(KvmExitDecoder.ExitMmio, r =>
        {
            BitConverter.GetBytes(0x1_2345_6780UL).CopyTo(r, 32);
            BitConverter.GetBytes(8u).CopyTo(r, 48);
            r[52] = 1;
        });
        Assert.Equal(new VcpuExit(VcpuExitKind.UnmappedMemory, Size: 8, IsWrite: true, Address: 0x1_2345_6780), KvmExitDecoder.Decode(run));
    }

    [Theory]
    [InlineData(KvmExitDecoder.ExitHlt, VcpuExitKind.Halt)]
    [InlineData(KvmExitDecoder.ExitShutdown, VcpuExitKind.Shutdown)]
    [InlineData(KvmExitDecoder.ExitIntr, VcpuExitKind.Canceled)]
    [InlineData(KvmExitDecoder.ExitFailEntry, VcpuExitKind.Failure)]
    [InlineData(KvmExitDecoder.ExitInternalError, VcpuExitKind.Failure)]
    [InlineData(KvmExitDecoder.ExitMemoryFault, VcpuExitKind.Failure)]
    [InlineData(1234u, VcpuExitKind.Failure)]
    public void OtherExitsMapToTheirKinds(uint reason, VcpuExitKind kind)
    {
        VcpuExit exit = KvmExitDecoder.Decode(Run(reason, _ => { }));
        Assert.Equal(kind, exit.Kind);
        Assert.True(kind != VcpuExitKind.Failure || !string.IsNullOrEmpty(exit.Message));
    }
}
