using System.Runtime.InteropServices;
using Isa.Backends.Vcpu;
using Isa.Backends.Vcpu.Kvm;
using Isa.Backends.Vcpu.Whpx;
using Isa.Runtime.Jit;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>
/// The vCPU's AVX state without a hypervisor: which XCR0 it gets from what the hypervisor allows, CR4.OSXSAVE
/// with it, the VEX-encoded features the JIT may use then, and where KVM and WHPX read what they allow.
/// </summary>
public sealed unsafe class XsaveStateTests
{
    private const ulong X87 = LongMode.Xcr0X87, Sse = LongMode.Xcr0Sse, Avx = LongMode.Xcr0Avx;

    [Theory]
    [InlineData(0UL, 0UL)] // no XSAVE
    [InlineData(X87, 0UL)] // no SSE state: XSAVE stays off (FXSAVE state is enough for SSE code)
    [InlineData(X87 | Sse, X87 | Sse)]
    [InlineData(X87 | Sse | Avx, X87 | Sse | Avx)]
    [InlineData(0x2E7UL, X87 | Sse | Avx)] // AVX-512 and MPX state: not used by the JIT, left off
    [InlineData(Sse | Avx, 0UL)] // without x87 no XCR0 is valid
    public void Xcr0IsX87SseAndAvxWhereAllowed(ulong supported, ulong expected)
        => Assert.Equal(expected, LongMode.Xcr0(supported));

    [Fact]
    public void AnXcr0TurnsXsaveOnInCr4()
    {
        SpecialRegisters off = LongMode.Registers(0x1000, 0x2000, 0, 0);
        Assert.Equal(0UL, off.Cr4 & LongMode.Cr4OsXsave);
        Assert.Equal(0UL, off.Xcr0);

        SpecialRegisters on = LongMode.Registers(0x1000, 0x2000, 0, 0, X87 | Sse | Avx);
        Assert.Equal(LongMode.Cr4OsXsave, on.Cr4 & LongMode.Cr4OsXsave);
        Assert.Equal(X87 | Sse | Avx, on.Xcr0);
        Assert.Equal(off with { Cr4 = off.Cr4 | LongMode.Cr4OsXsave, Xcr0 = X87 | Sse | Avx }, on);
    }

    [Theory]
    [InlineData(X87 | Sse | Avx, true)]
    [InlineData(X87 | Sse, false)]
    [InlineData(0UL, false)]
    public void VexFeaturesStayOnlyWhereTheVcpuGetsTheAvxState(ulong supported, bool vex)
    {
        const HostFeatures host = HostFeatures.Fma | HostFeatures.Bmi1 | HostFeatures.Bmi2 | HostFeatures.Movbe | HostFeatures.Lzcnt;
        HostFeatures expected = vex ? host : HostFeatures.Movbe | HostFeatures.Lzcnt;
        Assert.Equal(expected, VcpuHost.Features(host, new RecordingHypervisor(supported)));
    }

    [Fact]
    public void KvmAllowsCpuidLeafDsBitsWhereTheGuestHasXsave()
    {
        KvmNative.CpuidEntry2[] cpuid =
        [
            new() { Function = 0, Eax = 0xD },
            new() { Function = 1, Ecx = (1u << 26) | (1u << 28) },
            new() { Function = 0xD, Index = 0, Eax = 0x7, Edx = 0 },
            new() { Function = 0xD, Index = 1, Eax = 0xF },
        ];
        Assert.Equal(X87 | Sse | Avx, KvmHypervisor.SupportedXcr0Of(cpuid));

        cpuid[2].Edx = 2;
        Assert.Equal((2UL << 32) | 7, KvmHypervisor.SupportedXcr0Of(cpuid));

        cpuid[1].Ecx = 1u << 28; // no XSAVE
        Assert.Equal(0UL, KvmHypervisor.SupportedXcr0Of(cpuid));
    }

    [Theory]
    [InlineData(0x1FUL, 0x7UL, 0x1FUL)] // XSAVE, XSAVEOPT and AVX in the partition: the host's XCR0
    [InlineData(0x7UL, 0x3UL, 0x3UL)] // no AVX support: no AVX state
    [InlineData(0x7UL, 0x0UL, 0x0UL)] // no XSAVE in the partition
    public void WhpxAllowsTheHostsXcr0AsFarAsThePartitionSupportsIt(ulong host, ulong xsaveFeatures, ulong expected)
        => Assert.Equal(expected, WhpxHypervisor.SupportedXcr0Of(host, xsaveFeatures));

    [Fact]
    public void KvmXcrsHaveTheKernelsLayout()
    {
        Assert.Equal(392, sizeof(KvmNative.Xcrs)); // struct kvm_xcrs: the ioctl numbers encode this size
        Assert.Equal(0x188UL, (KvmNative.SetXcrs >> 16) & 0x3FFF);
        Assert.Equal(0x188UL, (KvmNative.GetXcrs >> 16) & 0x3FFF);
        Assert.Equal(8, (int)Marshal.OffsetOf<KvmNative.Xcrs>(nameof(KvmNative.Xcrs.Entries)));
    }
}
