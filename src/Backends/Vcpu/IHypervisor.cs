namespace Isa.Backends.Vcpu;

/// <summary>
/// One hardware virtual machine (a KVM VM, a WHPX partition): guest-physical memory backed by host
/// memory, and virtual processors. Only hypervisor calls live behind this interface; page tables,
/// descriptor tables, stubs and the exit protocol are shared code (<c>src/Backends/Vcpu</c>).
/// </summary>
public interface IHypervisor : IDisposable
{
    /// <summary>"kvm", "whpx": for messages.</summary>
    string Name { get; }

    /// <summary>Physical address bits the virtual processors support (MAXPHYADDR): guest-physical addresses stay below.</summary>
    int PhysicalAddressBits { get; }

    /// <summary>
    /// The XCR0 state components the virtual processors may enable: what the host's XCR0 has and the
    /// hypervisor supports (0 without XSAVE). <see cref="LongMode.Xcr0"/> chooses from it.
    /// </summary>
    ulong SupportedXcr0 { get; }

    /// <summary>
    /// Backs guest-physical <paramref name="guestPhysical"/> .. + <paramref name="bytes"/> with host memory at
    /// <paramref name="host"/> (all three 4 KiB aligned). Ranges must not overlap a range already mapped.
    /// </summary>
    void MapMemory(ulong guestPhysical, nint host, ulong bytes, bool writable);

    /// <summary>Removes a range mapped by <see cref="MapMemory"/> (the same start and size).</summary>
    void UnmapMemory(ulong guestPhysical, ulong bytes);

    /// <summary>
    /// A new virtual processor, its CPUID set up so the features of the host CPU the JIT uses (SSE2,
    /// MOVBE, BMI, XSAVE, AVX, FMA) are visible, in its reset state until the caller sets the special registers.
    /// </summary>
    IVirtualProcessor CreateProcessor();
}
