using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Isa.Backends.Vcpu.Whpx;

/// <summary>
/// A Windows Hypervisor Platform partition (WinHvPlatform.dll) without local APIC emulation, so <c>hlt</c>
/// exits. Everything but these calls is shared with the KVM host: page tables, descriptor tables, stubs
/// and the exit protocol (see docs/vcpu.md).
/// </summary>
public sealed unsafe class WhpxHypervisor : IHypervisor
{
    /// <summary>Processors a partition is set up for (one per guest thread); WHPX fixes the count before setup.</summary>
    public const int DefaultProcessors = 64;

    private const string Unavailable = "Windows Hypervisor Platform is not available";

    private readonly nint _partition;
    private readonly int _processors;
    private readonly Dictionary<ulong, ulong> _mapped = [];
    private readonly Stack<uint> _freeIndices = new();
    private uint _nextIndex;
    private bool _disposed;

    private WhpxHypervisor(nint partition, int processors, int physicalBits, ulong xcr0)
    {
        _partition = partition;
        _processors = processors;
        PhysicalAddressBits = physicalBits;
        SupportedXcr0 = xcr0;
    }

    public string Name => "whpx";

    public int PhysicalAddressBits { get; }

    public ulong SupportedXcr0 { get; }

    /// <summary>A partition for up to <see cref="DefaultProcessors"/> processors.</summary>
    public static WhpxHypervisor Open() => Open(DefaultProcessors);

    /// <summary>Creates and sets up a partition for up to <paramref name="processors"/> processors; <see cref="HypervisorUnavailableException"/> says why WHPX cannot be used here.</summary>
    public static WhpxHypervisor Open(int processors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(processors, 1);
        if (!OperatingSystem.IsWindows() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new HypervisorUnavailableException($"{Unavailable}: it needs Windows on x86-64 (this host is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})");
        }

        uint present = 0, written = 0;
        int hr;
        try
        {
            hr = WhpxNative.WHvGetCapability(WhpxNative.CapabilityHypervisorPresent, &present, sizeof(uint), &written);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new HypervisorUnavailableException($"{Unavailable}: {WhpxNative.Library} cannot be loaded (turn on the Windows feature \"Windows Hypervisor Platform\")", e);
        }

        if (hr < 0 || present == 0)
        {
            throw new HypervisorUnavailableException($"{Unavailable}: the hypervisor is not running (turn on virtualization in the firmware and the \"Windows Hypervisor Platform\" feature){(hr < 0 ? $": {WhpxNative.Describe(hr)}" : "")}");
        }

        nint partition;
        hr = WhpxNative.WHvCreatePartition(&partition);
        if (hr < 0)
        {
            throw new HypervisorUnavailableException($"{Unavailable}: WHvCreatePartition failed: {WhpxNative.Describe(hr)}");
        }

        try
        {
            uint count = (uint)processors;
            WhpxNative.Check(WhpxNative.WHvSetPartitionProperty(partition, WhpxNative.PropertyProcessorCount, &count, sizeof(uint)), "SetPartitionProperty (processor count)");

            // Every processor feature the hypervisor offers (the JIT chose its instructions from the host's CPUID).
            // Best effort: a hypervisor that refuses keeps its default set, and an instruction missing from it
            // is a #UD that the shared exception stubs report with its address.
            ulong features = 0;
            if (WhpxNative.WHvGetCapability(WhpxNative.CapabilityProcessorFeatures, &features, sizeof(ulong), &written) >= 0)
            {
                WhpxNative.WHvSetPartitionProperty(partition, WhpxNative.PropertyProcessorFeatures, &features, sizeof(ulong));
            }

            // XSAVE and AVX as the hypervisor offers them (best effort, as above): the vCPUs get XCR0 = x87|SSE|AVX where allowed.
            ulong xsave = 0;
            if (WhpxNative.WHvGetCapability(WhpxNative.CapabilityProcessorXsaveFeatures, &xsave, sizeof(ulong), &written) < 0
                || WhpxNative.WHvSetPartitionProperty(partition, WhpxNative.PropertyProcessorXsaveFeatures, &xsave, sizeof(ulong)) < 0)
            {
                xsave = 0;
            }

            // No extended exits: CPUID, MSRs and exceptions stay inside the partition (the IDT's stubs report faults through port I/O).
            ulong extendedExits = 0;
            WhpxNative.Check(WhpxNative.WHvSetPartitionProperty(partition, WhpxNative.PropertyExtendedVmExits, &extendedExits, sizeof(ulong)), "SetPartitionProperty (extended exits)");
            WhpxNative.Check(WhpxNative.WHvSetupPartition(partition), "SetupPartition");
            return new WhpxHypervisor(partition, processors, PhysicalBits(), SupportedXcr0Of(WhpxNative.GetEnabledXStateFeatures(), xsave));
        }
        catch (InvalidOperationException e)
        {
            WhpxNative.WHvDeletePartition(partition);
            throw new HypervisorUnavailableException($"{Unavailable}: {e.Message}", e);
        }
    }

    /// <summary>Whether WHPX can be used here, without keeping anything open; <paramref name="reason"/> says why not.</summary>
    public static bool IsAvailable(out string reason) => HypervisorChecks.IsAvailable(() => Open(1), out reason);

    public void MapMemory(ulong guestPhysical, nint host, ulong bytes, bool writable)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        HypervisorChecks.ValidateMapping(guestPhysical, host, bytes, PhysicalAddressBits);

        // Execute everywhere: the page tables' NX bits decide what runs.
        uint flags = WhpxNative.MapRead | WhpxNative.MapExecute | (writable ? WhpxNative.MapWrite : 0);
        lock (_mapped)
        {
            int hr = WhpxNative.WHvMapGpaRange(_partition, host, guestPhysical, bytes, flags);
            if (hr < 0)
            {
                throw new InvalidOperationException($"WHPX cannot map 0x{bytes:x} bytes at guest-physical 0x{guestPhysical:x}: {WhpxNative.Describe(hr)}");
            }

            _mapped[guestPhysical] = bytes;
        }
    }

    public void UnmapMemory(ulong guestPhysical, ulong bytes)
    {
        lock (_mapped)
        {
            if (!_mapped.TryGetValue(guestPhysical, out ulong mapped) || mapped != bytes)
            {
                throw new ArgumentException($"no mapping of 0x{bytes:x} bytes at guest-physical 0x{guestPhysical:x}");
            }

            WhpxNative.Check(WhpxNative.WHvUnmapGpaRange(_partition, guestPhysical, bytes), "UnmapGpaRange");
            _mapped.Remove(guestPhysical);
        }
    }

    public IVirtualProcessor CreateProcessor()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        uint index;
        lock (_freeIndices)
        {
            if (_freeIndices.Count > 0)
            {
                index = _freeIndices.Pop();
            }
            else if (_nextIndex < _processors)
            {
                index = _nextIndex++;
            }
            else
            {
                throw new InvalidOperationException($"the WHPX partition was set up for {_processors} processors, all in use");
            }
        }

        int hr = WhpxNative.WHvCreateVirtualProcessor(_partition, index, 0);
        if (hr < 0)
        {
            Release(index);
            throw new InvalidOperationException($"WHPX cannot create virtual processor {index}: {WhpxNative.Describe(hr)}");
        }

        return new WhpxVirtualProcessor(WhpxNativeProcessorApi.Instance, _partition, index, Release);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            WhpxNative.WHvDeletePartition(_partition);
        }
    }

    /// <summary>A deleted processor's index can be used again.</summary>
    private void Release(uint index)
    {
        lock (_freeIndices)
        {
            _freeIndices.Push(index);
        }
    }

    /// <summary>
    /// The XCR0 bits the processors may set: the host's (what Windows enabled), without XSAVE in the
    /// partition none, without the partition's AVX support no AVX state.
    /// </summary>
    internal static ulong SupportedXcr0Of(ulong hostXcr0, ulong xsaveFeatures)
    {
        if ((xsaveFeatures & WhpxNative.XsaveSupport) == 0)
        {
            return 0;
        }

        return (xsaveFeatures & WhpxNative.AvxSupport) != 0 ? hostXcr0 : hostXcr0 & ~LongMode.Xcr0Avx;
    }

    /// <summary>MAXPHYADDR from CPUID 0x80000008 (36 when the leaf is missing): the partition's processors report the host's.</summary>
    private static int PhysicalBits()
    {
        const int addressSizes = unchecked((int)0x8000_0008);
        if (!X86Base.IsSupported || (uint)X86Base.CpuId(unchecked((int)0x8000_0000), 0).Eax < 0x8000_0008)
        {
            return 36;
        }

        int bits = X86Base.CpuId(addressSizes, 0).Eax & 0xFF;
        return bits != 0 ? bits : 36;
    }
}
