using System.Runtime.InteropServices;

namespace Isa.Backends.Vcpu.Kvm;

/// <summary>A KVM vCPU: its fd and its mmapped <c>struct kvm_run</c>.</summary>
internal sealed unsafe class KvmVirtualProcessor : IVirtualProcessor
{
    private readonly int _fd;
    private readonly byte* _run;
    private readonly int _runSize;
    private readonly bool _xcrs;
    private readonly bool _syncRegisters;

    // What SetRegisters last put in the sync area: KVM may overwrite the area on a run that returns before loading it.
    private KvmNative.Regs _pending;

    // A run has filled the sync area (KVM copies the registers out on every return from KVM_RUN).
    private bool _synced;
    private long _thread;
    private bool _disposed;

    /// <param name="xcrs">Whether KVM has KVM_GET/SET_XCRS (and XSAVE for the guest).</param>
    /// <param name="syncRegisters">Whether the general registers go through <c>kvm_run</c> (KVM_CAP_SYNC_REGS) instead of ioctls.</param>
    public KvmVirtualProcessor(int fd, int runSize, KvmNative.CpuidEntry2[] cpuid, bool xcrs, bool syncRegisters)
    {
        _fd = fd;
        _runSize = runSize;
        _xcrs = xcrs;
        _syncRegisters = syncRegisters;
        void* run = KvmNative.mmap(null, (nuint)runSize, KvmNative.ProtRead | KvmNative.ProtWrite, KvmNative.MapShared, fd, 0);
        if (run == (void*)-1)
        {
            int errno = KvmNative.Errno;
            KvmNative.close(fd);
            throw new InvalidOperationException($"KVM cannot map the vCPU's run structure: {KvmNative.ErrorText(errno)}");
        }

        _run = (byte*)run;
        SetCpuid(cpuid);
        if (syncRegisters)
        {
            *(ulong*)(_run + KvmNative.RunValidRegs) = KvmNative.SyncX86Regs;
        }
    }

    private ref ulong DirtyRegisters => ref *(ulong*)(_run + KvmNative.RunDirtyRegs);

    private ref KvmNative.Regs SyncArea => ref *(KvmNative.Regs*)(_run + KvmNative.RunSyncRegs);

    public void GetRegisters(ref GeneralRegisters registers)
    {
        KvmNative.Regs r;
        if (_syncRegisters && (DirtyRegisters & KvmNative.SyncX86Regs) != 0)
        {
            r = _pending; // set, not yet loaded by a run
        }
        else if (_syncRegisters && _synced)
        {
            r = SyncArea;
        }
        else
        {
            KvmNative.Call(_fd, KvmNative.GetRegs, (nint)(&r), "GET_REGS");
        }

        registers[GeneralRegisters.Rax] = r.Rax;
        registers[GeneralRegisters.Rcx] = r.Rcx;
        registers[GeneralRegisters.Rdx] = r.Rdx;
        registers[GeneralRegisters.Rbx] = r.Rbx;
        registers[GeneralRegisters.Rsp] = r.Rsp;
        registers[GeneralRegisters.Rbp] = r.Rbp;
        registers[GeneralRegisters.Rsi] = r.Rsi;
        registers[GeneralRegisters.Rdi] = r.Rdi;
        new ReadOnlySpan<ulong>(&r.R8, 8).CopyTo(((Span<ulong>)registers.Gpr)[8..]);
        registers.Rip = r.Rip;
        registers.Rflags = r.Rflags;
    }

    public void SetRegisters(in GeneralRegisters registers)
    {
        var r = new KvmNative.Regs
        {
            Rax = registers[GeneralRegisters.Rax],
            Rcx = registers[GeneralRegisters.Rcx],
            Rdx = registers[GeneralRegisters.Rdx],
            Rbx = registers[GeneralRegisters.Rbx],
            Rsp = registers[GeneralRegisters.Rsp],
            Rbp = registers[GeneralRegisters.Rbp],
            Rsi = registers[GeneralRegisters.Rsi],
            Rdi = registers[GeneralRegisters.Rdi],
            Rip = registers.Rip,
            Rflags = registers.Rflags | GeneralRegisters.ReservedFlag,
        };
        ((ReadOnlySpan<ulong>)registers.Gpr)[8..].CopyTo(new Span<ulong>(&r.R8, 8));
        if (_syncRegisters)
        {
            // KVM loads them at the next KVM_RUN and clears the dirty bit.
            _pending = r;
            SyncArea = r;
            DirtyRegisters |= KvmNative.SyncX86Regs;
        }
        else
        {
            KvmNative.Call(_fd, KvmNative.SetRegs, (nint)(&r), "SET_REGS");
        }
    }

    public void GetSpecialRegisters(ref SpecialRegisters registers)
    {
        KvmNative.Sregs s;
        KvmNative.Call(_fd, KvmNative.GetSregs, (nint)(&s), "GET_SREGS");
        registers.Cs = FromKvm(s.Cs);
        registers.Ds = FromKvm(s.Ds);
        registers.Es = FromKvm(s.Es);
        registers.Fs = FromKvm(s.Fs);
        registers.Gs = FromKvm(s.Gs);
        registers.Ss = FromKvm(s.Ss);
        registers.Tr = FromKvm(s.Tr);
        registers.Ldt = FromKvm(s.Ldt);
        registers.Gdt = new DescriptorTableRegister(s.Gdt.Base, s.Gdt.Limit);
        registers.Idt = new DescriptorTableRegister(s.Idt.Base, s.Idt.Limit);
        registers.Cr0 = s.Cr0;
        registers.Cr2 = s.Cr2;
        registers.Cr3 = s.Cr3;
        registers.Cr4 = s.Cr4;
        registers.Cr8 = s.Cr8;
        registers.Efer = s.Efer;
        registers.ApicBase = s.ApicBase;
        registers.Xcr0 = 0;
        if (_xcrs)
        {
            KvmNative.Xcrs x;
            KvmNative.Call(_fd, KvmNative.GetXcrs, (nint)(&x), "GET_XCRS");
            for (int i = 0; i < Math.Min(x.Count, 16); i++)
            {
                if ((uint)x.Entries[2 * i] == 0)
                {
                    registers.Xcr0 = x.Entries[(2 * i) + 1];
                }
            }
        }
    }

    public void SetSpecialRegisters(in SpecialRegisters registers)
    {
        // Read first: the fields we do not model (the pending-interrupt bitmap, the APIC base by default) keep their values.
        KvmNative.Sregs s;
        KvmNative.Call(_fd, KvmNative.GetSregs, (nint)(&s), "GET_SREGS");
        s.Cs = ToKvm(registers.Cs);
        s.Ds = ToKvm(registers.Ds);
        s.Es = ToKvm(registers.Es);
        s.Fs = ToKvm(registers.Fs);
        s.Gs = ToKvm(registers.Gs);
        s.Ss = ToKvm(registers.Ss);
        s.Tr = ToKvm(registers.Tr);
        s.Ldt = ToKvm(registers.Ldt);
        s.Gdt = new KvmNative.DescriptorTable { Base = registers.Gdt.Base, Limit = registers.Gdt.Limit };
        s.Idt = new KvmNative.DescriptorTable { Base = registers.Idt.Base, Limit = registers.Idt.Limit };
        s.Cr0 = registers.Cr0;
        s.Cr2 = registers.Cr2;
        s.Cr3 = registers.Cr3;
        s.Cr4 = registers.Cr4;
        s.Cr8 = registers.Cr8;
        s.Efer = registers.Efer;
        if (registers.ApicBase != 0)
        {
            s.ApicBase = registers.ApicBase;
        }

        KvmNative.Call(_fd, KvmNative.SetSregs, (nint)(&s), "SET_SREGS");

        // After CR4.OSXSAVE (the order a kernel enables it in); KVM refuses bits the guest's CPUID leaf 0xD does not offer.
        if (registers.Xcr0 != 0)
        {
            if (!_xcrs)
            {
                throw new InvalidOperationException("KVM cannot set XCR0 here (no KVM_CAP_XCRS or no XSAVE for guests)");
            }

            var x = default(KvmNative.Xcrs);
            x.Count = 1;
            x.Entries[0] = 0;
            x.Entries[1] = registers.Xcr0;
            KvmNative.Call(_fd, KvmNative.SetXcrs, (nint)(&x), "SET_XCRS");
        }
    }

    public VcpuExit Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Volatile.Write(ref _thread, KvmNative.syscall(KvmNative.SysGettid, 0, 0, 0));
        try
        {
            if (KvmNative.ioctl(_fd, KvmNative.Run, 0) < 0)
            {
                int errno = KvmNative.Errno;
                _run[1] = 0; // immediate_exit, if Cancel set it
                if (errno is KvmNative.Eintr or KvmNative.Eagain)
                {
                    Synced();
                    return new VcpuExit(VcpuExitKind.Canceled);
                }

                _synced = false;
                return VcpuExit.Fail($"KVM_RUN failed: {KvmNative.ErrorText(errno)}");
            }

            Synced();
            return KvmExitDecoder.Decode(new ReadOnlySpan<byte>(_run, _runSize));
        }
        finally
        {
            Volatile.Write(ref _thread, 0);
        }
    }

    /// <summary>
    /// After KVM_RUN returned: the sync area holds the registers. A run that returned before loading registers
    /// set for it (immediate_exit) copied the old ones over them while the dirty bit stays: they go back.
    /// </summary>
    private void Synced()
    {
        if (_syncRegisters)
        {
            _synced = true;
            if ((DirtyRegisters & KvmNative.SyncX86Regs) != 0)
            {
                SyncArea = _pending;
            }
        }
    }

    public void Cancel()
    {
        // immediate_exit makes the next KVM_RUN return EINTR at once; the signal interrupts one that is running.
        Volatile.Write(ref _run[1], 1);
        long thread = Volatile.Read(ref _thread);
        if (thread != 0)
        {
            KvmNative.syscall(KvmNative.SysTgkill, KvmNative.syscall(KvmNative.SysGetpid, 0, 0, 0), thread, KvmNative.KickSignal);
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            KvmNative.munmap(_run, (nuint)_runSize);
            KvmNative.close(_fd);
        }
    }

    private void SetCpuid(KvmNative.CpuidEntry2[] entries)
    {
        int bytes = 8 + (entries.Length * sizeof(KvmNative.CpuidEntry2));
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        try
        {
            *(uint*)buffer = (uint)entries.Length;
            entries.CopyTo(new Span<KvmNative.CpuidEntry2>(buffer + 8, entries.Length));
            KvmNative.Call(_fd, KvmNative.SetCpuid2, (nint)buffer, "SET_CPUID2");
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    internal static SegmentRegister FromKvm(KvmNative.Segment s) => new(s.Base, s.Limit, s.Selector,
        (uint)(s.Type & 0xF) | ((uint)s.S << 4) | ((uint)(s.Dpl & 3) << 5) | ((uint)s.Present << 7)
        | ((uint)s.Avl << 12) | ((uint)s.L << 13) | ((uint)s.Db << 14) | ((uint)s.G << 15) | ((uint)s.Unusable << 16));

    internal static KvmNative.Segment ToKvm(SegmentRegister s) => new()
    {
        Base = s.Base,
        Limit = s.Limit,
        Selector = s.Selector,
        Type = (byte)s.Type,
        S = (byte)(s.IsCodeOrData ? 1 : 0),
        Dpl = (byte)s.Dpl,
        Present = (byte)(s.IsPresent ? 1 : 0),
        Avl = (byte)(s.IsAvailable ? 1 : 0),
        L = (byte)(s.IsLong ? 1 : 0),
        Db = (byte)(s.IsDefaultBig ? 1 : 0),
        G = (byte)(s.IsGranular ? 1 : 0),
        Unusable = (byte)(s.IsUnusable ? 1 : 0),
    };
}
