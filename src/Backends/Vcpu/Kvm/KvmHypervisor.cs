using System.Runtime.InteropServices;

namespace Isa.Backends.Vcpu.Kvm;

/// <summary>A KVM virtual machine (Linux /dev/kvm) without an in-kernel interrupt controller, so <c>hlt</c> exits.</summary>
public sealed unsafe class KvmHypervisor : IHypervisor
{
    public const string DevicePath = "/dev/kvm";

    // KVM on Intel needs three pages of guest-physical space for its real-mode TSS even though we never use real mode.
    private const ulong RealModeTss = 0xFFFB_D000;

    private readonly int _kvm;
    private readonly int _vm;
    private readonly int _runSize;
    private readonly KvmNative.CpuidEntry2[] _cpuid;
    private readonly Dictionary<ulong, (uint Slot, ulong Bytes)> _slots = [];
    private readonly Stack<uint> _freeSlots = new();
    private uint _nextSlot;
    private bool _disposed;

    private readonly bool _syncRegisters;

    private KvmHypervisor(int kvm, int vm, int runSize, KvmNative.CpuidEntry2[] cpuid, int physicalBits, ulong xcr0, bool syncRegisters)
    {
        _syncRegisters = syncRegisters;
        _kvm = kvm;
        _vm = vm;
        _runSize = runSize;
        _cpuid = cpuid;
        PhysicalAddressBits = physicalBits;
        SupportedXcr0 = xcr0;
    }

    public string Name => "kvm";

    public int PhysicalAddressBits { get; }

    public ulong SupportedXcr0 { get; }

    /// <summary>Whether the processors' general registers go through <c>kvm_run</c> (KVM_CAP_SYNC_REGS) rather than ioctls.</summary>
    public bool SyncRegisters => _syncRegisters;

    /// <summary>Opens /dev/kvm and creates a VM; <see cref="HypervisorUnavailableException"/> says why when KVM cannot be used here.</summary>
    public static KvmHypervisor Open() => Open(syncRegisters: true);

    /// <summary>
    /// As <see cref="Open()"/>; with <paramref name="syncRegisters"/> the general registers travel through
    /// <c>kvm_run</c> (KVM_CAP_SYNC_REGS) where the kernel offers it instead of a KVM_GET/SET_REGS ioctl each
    /// (false: always the ioctls, to compare and to test that path where the kernel has the capability).
    /// </summary>
    public static KvmHypervisor Open(bool syncRegisters)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new HypervisorUnavailableException($"KVM needs Linux on x86-64 (this host is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})");
        }

        int kvm = KvmNative.open(DevicePath, KvmNative.OpenReadWrite | KvmNative.OpenCloexec);
        if (kvm < 0)
        {
            int errno = KvmNative.Errno;
            throw new HypervisorUnavailableException(errno == 2
                ? $"KVM is not available: {DevicePath} does not exist (no hardware virtualization, or the kvm module is not loaded)"
                : $"KVM is not available: cannot open {DevicePath}: {KvmNative.ErrorText(errno)}");
        }

        int vm = -1;
        try
        {
            int version = KvmNative.ioctl(kvm, KvmNative.GetApiVersion, 0);
            if (version != KvmNative.ApiVersion)
            {
                throw new HypervisorUnavailableException($"KVM API version {version} is not the supported {KvmNative.ApiVersion}");
            }

            int runSize = KvmNative.Call(kvm, KvmNative.GetVcpuMmapSize, 0, "GET_VCPU_MMAP_SIZE");
            KvmNative.CpuidEntry2[] cpuid = SupportedCpuid(kvm);
            vm = KvmNative.ioctl(kvm, KvmNative.CreateVm, 0);
            if (vm < 0)
            {
                throw new HypervisorUnavailableException($"KVM cannot create a virtual machine: {KvmNative.ErrorText(KvmNative.Errno)}");
            }

            KvmNative.Call(vm, KvmNative.SetTssAddr, unchecked((nint)RealModeTss), "SET_TSS_ADDR");
            bool xcrs = KvmNative.ioctl(kvm, KvmNative.CheckExtension, KvmNative.CapXcrs) > 0;
            int syncFields = syncRegisters ? KvmNative.ioctl(kvm, KvmNative.CheckExtension, KvmNative.CapSyncRegs) : 0;
            bool sync = syncFields > 0 && (syncFields & (int)KvmNative.SyncX86Regs) != 0;
            return new KvmHypervisor(kvm, vm, runSize, cpuid, PhysicalBits(cpuid), xcrs ? SupportedXcr0Of(cpuid) : 0, sync);
        }
        catch
        {
            if (vm >= 0)
            {
                KvmNative.close(vm);
            }

            KvmNative.close(kvm);
            throw;
        }
    }

    /// <summary>Whether KVM can be used here, without keeping anything open; <paramref name="reason"/> says why not.</summary>
    public static bool IsAvailable(out string reason) => HypervisorChecks.IsAvailable(Open, out reason);

    public void MapMemory(ulong guestPhysical, nint host, ulong bytes, bool writable)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        HypervisorChecks.ValidateMapping(guestPhysical, host, bytes, PhysicalAddressBits);
        if (guestPhysical < RealModeTss + 0x3000 && guestPhysical + bytes > RealModeTss)
        {
            throw new ArgumentOutOfRangeException(nameof(guestPhysical), $"guest-physical 0x{guestPhysical:x} + 0x{bytes:x} overlaps the pages KVM keeps for its real-mode TSS");
        }

        lock (_slots)
        {
            uint slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;

            // Read-only host memory stays read-only for the vCPU through its page tables; KVM itself maps what the host VMA allows.
            var region = new KvmNative.UserspaceMemoryRegion { Slot = slot, GuestPhysAddr = guestPhysical, MemorySize = bytes, UserspaceAddr = (ulong)host };
            if (KvmNative.ioctl(_vm, KvmNative.SetUserMemoryRegion, (nint)(&region)) < 0)
            {
                int errno = KvmNative.Errno;
                _freeSlots.Push(slot);
                throw new InvalidOperationException($"KVM cannot map 0x{bytes:x} bytes at guest-physical 0x{guestPhysical:x}: {KvmNative.ErrorText(errno)}");
            }

            _slots[guestPhysical] = (slot, bytes);
        }
    }

    public void UnmapMemory(ulong guestPhysical, ulong bytes)
    {
        lock (_slots)
        {
            if (!_slots.Remove(guestPhysical, out (uint Slot, ulong Bytes) s) || s.Bytes != bytes)
            {
                throw new ArgumentException($"no mapping of 0x{bytes:x} bytes at guest-physical 0x{guestPhysical:x}");
            }

            var region = new KvmNative.UserspaceMemoryRegion { Slot = s.Slot, GuestPhysAddr = guestPhysical };
            KvmNative.Call(_vm, KvmNative.SetUserMemoryRegion, (nint)(&region), "SET_USER_MEMORY_REGION (remove)");
            _freeSlots.Push(s.Slot);
        }
    }

    public IVirtualProcessor CreateProcessor()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int id;
        lock (_slots)
        {
            id = _processors++;
        }

        int fd = KvmNative.ioctl(_vm, KvmNative.CreateVcpu, id);
        if (fd < 0)
        {
            throw new InvalidOperationException($"KVM cannot create vCPU {id}: {KvmNative.ErrorText(KvmNative.Errno)}");
        }

        return new KvmVirtualProcessor(fd, _runSize, _cpuid, xcrs: SupportedXcr0 != 0, _syncRegisters);
    }

    private int _processors;

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            KvmNative.close(_vm);
            KvmNative.close(_kvm);
        }
    }

    private static KvmNative.CpuidEntry2[] SupportedCpuid(int kvm)
    {
        for (int entries = 64; ; entries *= 2)
        {
            int bytes = 8 + (entries * sizeof(KvmNative.CpuidEntry2));
            byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
            try
            {
                *(uint*)buffer = (uint)entries;
                if (KvmNative.ioctl(kvm, KvmNative.GetSupportedCpuid, (nint)buffer) < 0)
                {
                    int errno = KvmNative.Errno;
                    if (errno == KvmNative.E2big && entries < 4096)
                    {
                        continue;
                    }

                    throw new HypervisorUnavailableException($"KVM GET_SUPPORTED_CPUID failed: {KvmNative.ErrorText(errno)}");
                }

                return new ReadOnlySpan<KvmNative.CpuidEntry2>(buffer + 8, (int)*(uint*)buffer).ToArray();
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
    }

    /// <summary>
    /// The XCR0 bits a guest may set: CPUID 0xD.0 EDX:EAX of KVM's supported CPUID, which KVM limits to
    /// the host's XCR0 and what it can switch; 0 without XSAVE (CPUID 1 ECX bit 26).
    /// </summary>
    internal static ulong SupportedXcr0Of(ReadOnlySpan<KvmNative.CpuidEntry2> cpuid)
    {
        bool xsave = false;
        ulong xcr0 = 0;
        foreach (KvmNative.CpuidEntry2 e in cpuid)
        {
            if (e.Function == 1)
            {
                xsave = (e.Ecx & (1u << 26)) != 0;
            }
            else if (e.Function == 0xD && e.Index == 0)
            {
                xcr0 = e.Eax | ((ulong)e.Edx << 32);
            }
        }

        return xsave ? xcr0 : 0;
    }

    /// <summary>MAXPHYADDR from CPUID 0x80000008 (36 when the leaf is missing, as the architecture says).</summary>
    private static int PhysicalBits(KvmNative.CpuidEntry2[] cpuid)
    {
        foreach (KvmNative.CpuidEntry2 e in cpuid)
        {
            if (e.Function == 0x8000_0008 && (e.Eax & 0xFF) != 0)
            {
                return (int)(e.Eax & 0xFF);
            }
        }

        return 36;
    }
}
