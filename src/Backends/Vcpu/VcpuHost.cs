using Iced.Intel;
using Isa.Backends.Jit;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using Isa.Runtime.Memory;

namespace Isa.Backends.Vcpu;

/// <summary>
/// Runs translated code inside hardware virtual CPUs (one per host thread, so one per guest
/// thread), in 64-bit long mode with FS base = the guest window and GS base = the block table
/// (<see cref="VcpuBlockTable"/>). Everything but the hypervisor
/// calls is here and shared by KVM and WHPX: the vCPU's system state, the exit protocol
/// (<see cref="VcpuProtocol"/>) and turning a #PF into the JIT's HostFault exit.
/// </summary>
internal sealed unsafe class VcpuHost : IExecutionHost, IDisposable
{
    private const int StackBytes = 64 << 10;

    private readonly IHypervisor _hypervisor;
    private readonly VcpuStubs _stubs;
    private nint _resume; // the engine's stub that loads the resident guest registers and jumps to RDX
    private readonly VcpuAddressSpace _space;
    private readonly VcpuBlockTable _table;
    private readonly GuestMemory _memory;
    private readonly ThreadLocal<Processor?> _processor = new(trackAllValues: true);
    private readonly Lock _processorsLock = new();
    private Processor[] _processors = [];
    private nint _hostCallOut;

    public VcpuHost(IHypervisor hypervisor, GuestMemory memory, CodeBuffer code, int instructionBytes)
    {
        _hypervisor = hypervisor;
        _memory = memory;
        _stubs = VcpuStubs.Create(code);
        _space = new VcpuAddressSpace(hypervisor, memory, code, _stubs);
        _space.AccessReduced += ShootDown;
        _table = new VcpuBlockTable(_space, instructionBytes);
    }

    public MemoryAddressing Addressing => MemoryAddressing.FsSegment;

    /// <summary>
    /// The features generated code may use inside the vCPUs of <paramref name="hypervisor"/>: the host's, but the
    /// VEX-encoded ones (FMA, BMI1/2) only where the vCPUs get the AVX state (XCR0), as they raise #UD without it.
    /// </summary>
    public static HostFeatures Features(HostFeatures host, IHypervisor hypervisor) =>
        LongMode.HasAvxState(LongMode.Xcr0(hypervisor.SupportedXcr0)) ? host : host & ~(HostFeatures.Fma | HostFeatures.Bmi1 | HostFeatures.Bmi2);

    IndirectJumps IExecutionHost.Jumps => _table;

    void IExecutionHost.Start(JitRuntimeStubs stubs)
    {
        _resume = stubs.Resume;
        _table.Start(stubs.LookupMiss);
    }

    nint IExecutionHost.AllocateData(int bytes)
    {
        nint p = _space.Allocate((ulong)bytes);
        _space.MapHost(p, bytes);
        return p;
    }

    public string Name => _hypervisor.Name;

    public void PrepareThread(GuestMemory memory)
    {
        if (_processor.Value is null)
        {
            if (memory != _memory)
            {
                throw new InvalidOperationException("a vCPU host runs the code of one guest memory only");
            }

            var p = new Processor(this);
            _processor.Value = p;
            lock (_processorsLock)
            {
                _processors = [.. _processors, p];
            }
        }
    }

    public void AttachCpu(nint state, int stateBytes)
    {
        _space.MapHost(state - CpuStateBlock.HeaderBytes, CpuStateBlock.HeaderBytes + stateBytes);

        // Inside the vCPU the call-out is an exit to the host, which calls the function JIT code would have called.
        nint function = *(nint*)(state + JitContext.CallOutFunction);
        if (function != _stubs.CallOut)
        {
            _hostCallOut = function;
            *(nint*)(state + JitContext.CallOutFunction) = _stubs.CallOut;
        }
    }

    public int Run(nint state, nint hostCode)
    {
        Processor p = _processor.Value ?? throw new InvalidOperationException("PrepareThread was not called on this thread");
        return p.Run(state, hostCode);
    }

    /// <summary>
    /// Like a TLB shootdown IPI: every vCPU that may still hold translations older than <paramref name="generation"/>
    /// in its TLB is kicked out of the hypervisor, and this waits until each has left it or flushed (a processor
    /// re-entering flushes first), so no vCPU reaches the pages that lost access after the change returns.
    /// </summary>
    private void ShootDown(long generation)
    {
        foreach (Processor p in Volatile.Read(ref _processors))
        {
            if (p.MayHoldStaleTranslations(generation))
            {
                p.Kick();
                var wait = default(SpinWait);
                while (p.MayHoldStaleTranslations(generation))
                {
                    wait.SpinOnce();
                }
            }
        }
    }

    public void Dispose()
    {
        _space.AccessReduced -= ShootDown;
        foreach (Processor? p in _processor.Values)
        {
            p?.Dispose();
        }

        _processor.Dispose();
        _space.Dispose();
        _hypervisor.Dispose();
    }

    /// <summary>One vCPU and its stack, used by one host thread.</summary>
    private sealed class Processor : IDisposable
    {
        private readonly VcpuHost _host;
        private readonly IVirtualProcessor _vcpu;
        private readonly nint _stackTop;
        private readonly int _budgetRegister;
        private GeneralRegisters _registers;

        // The address space's generation this vCPU's TLB was last flushed at (the flush runs before any other code on entry).
        private long _generation = -1;

        // 1 from just before reading the generation for an entry until the hypervisor returned (ShootDown's handshake).
        private int _inside;

        public Processor(VcpuHost host)
        {
            _host = host;
            _vcpu = host._hypervisor.CreateProcessor();
            nint stack = host._space.Allocate(StackBytes);
            host._space.MapHost(stack, StackBytes);
            _stackTop = stack + StackBytes;
            SpecialRegisters s = LongMode.Registers(host._space.SystemPage, host._space.Cr3, (ulong)host._memory.WindowBase, VcpuBlockTable.Base, LongMode.Xcr0(host._hypervisor.SupportedXcr0));
            _vcpu.SetSpecialRegisters(in s);
            _budgetRegister = Jit.X64.X64Emitter.BudgetRegister(MemoryAddressing.FsSegment).Value.GetNumber();
        }

        public int Run(nint state, nint hostCode)
        {
            _registers = default;
            _registers.Rip = (ulong)_host._resume;
            _registers[GeneralRegisters.Rdx] = (ulong)hostCode;
            long generation = _host._space.Generation;
            if (generation != _generation)
            {
                // Page-table entries changed since this vCPU last ran: the vCPU reloads CR3 (flushing its TLB) first.
                Volatile.Write(ref _generation, generation);
                _registers.Rip = (ulong)_host._stubs.FlushEntry;
                _registers[GeneralRegisters.Rcx] = (ulong)_host._resume;
            }

            _registers.Rflags = GeneralRegisters.ReservedFlag;
            _registers[GeneralRegisters.Rbx] = (ulong)state;
            _registers[GeneralRegisters.Rsp] = (ulong)_stackTop;
            _registers[_budgetRegister] = *(ulong*)(state + JitContext.Budget);
            _vcpu.SetRegisters(in _registers);
            bool afterCallOut = false;
            while (true)
            {
                VcpuExit exit = Enter(state, afterCallOut);
                afterCallOut = false;
                switch (exit.Kind)
                {
                    case VcpuExitKind.PortIo when exit.IsWrite && exit.Port == VcpuProtocol.ExitPort:
                        return (int)exit.Data;
                    case VcpuExitKind.PortIo when exit.IsWrite && exit.Port == VcpuProtocol.CallOutPort:
                        nint handle = *(nint*)(state + JitContext.CallOutHandle);
                        *(int*)(state + JitContext.VcpuCallOutResult) = ((delegate* unmanaged<nint, long, int>)_host._hostCallOut)(handle, exit.Data);
                        afterCallOut = true;
                        continue;
                    case VcpuExitKind.Halt:
                        return Exception(state);
                    case VcpuExitKind.Canceled:
                        break; // a signal or a shootdown interrupted the run: go on (Enter flushes first if needed)
                    default:
                        _vcpu.GetRegisters(ref _registers);
                        throw new InvalidOperationException($"{_host.Name} vCPU stopped in JIT code at 0x{_registers.Rip:x}: {exit}");
                }
            }
        }

        /// <summary>Whether this vCPU may be running with translations older than <paramref name="generation"/>.</summary>
        public bool MayHoldStaleTranslations(long generation) => Volatile.Read(ref _inside) != 0 && Volatile.Read(ref _generation) < generation;

        public void Kick() => _vcpu.Cancel();

        /// <summary>
        /// Runs the vCPU. If page-table entries changed since its TLB was flushed, it flushes before anything else:
        /// after a call-out the call-out stub does (the hypervisor may still have to complete the <c>out</c>, so
        /// RIP stays); otherwise it resumes through the flush stub, which returns to the interrupted instruction
        /// with every register as it was.
        /// </summary>
        private VcpuExit Enter(nint state, bool afterCallOut)
        {
            // Published before the generation is read (a full fence): a concurrent ShootDown either sees this
            // processor inside and waits for it, or moved the generation early enough for the read below to see it.
            Interlocked.Exchange(ref _inside, 1);
            try
            {
                long generation = _host._space.Generation;
                if (generation != _generation && afterCallOut)
                {
                    *(int*)(state + JitContext.VcpuFlushTlb) = 1;
                    Volatile.Write(ref _generation, generation);
                }
                else if (generation != _generation)
                {
                    _vcpu.GetRegisters(ref _registers);
                    ulong sp = _registers[GeneralRegisters.Rsp] - VcpuStubs.ResumeRedZone - 8;
                    *(ulong*)sp = _registers.Rip;
                    _registers[GeneralRegisters.Rsp] = sp;
                    _registers.Rip = (ulong)_host._stubs.FlushResume;
                    _vcpu.SetRegisters(in _registers);
                    Volatile.Write(ref _generation, generation);
                }

                return _vcpu.Run();
            }
            finally
            {
                Volatile.Write(ref _inside, 0);
            }
        }

        /// <summary>An exception stub halted: a #PF becomes the JIT's HostFault exit, with the registers as the fault handler would save them.</summary>
        private int Exception(nint state)
        {
            _vcpu.GetRegisters(ref _registers);
            var frame = (ulong*)_registers[GeneralRegisters.Rsp];
            int vector = (int)frame[VcpuProtocol.FrameVector / 8];
            ulong rip = frame[VcpuProtocol.FrameRip / 8];
            if (vector != VcpuProtocol.PageFaultVector)
            {
                throw new InvalidOperationException($"{_host.Name} vCPU exception {vector} (error code 0x{frame[VcpuProtocol.FrameErrorCode / 8]:x}) at 0x{rip:x}");
            }

            var s = default(SpecialRegisters);
            _vcpu.GetSpecialRegisters(ref s);
            _registers[GeneralRegisters.Rsp] = frame[VcpuProtocol.FrameRsp / 8];
            for (int r = 0; r < 16; r++)
            {
                *(ulong*)(state + JitContext.SavedRegisters + (8 * r)) = _registers[r];
            }

            *(ulong*)(state + JitContext.FaultRip) = rip;
            *(ulong*)(state + JitContext.FaultAddress) = s.Cr2;
            *(ulong*)(state + JitContext.Budget) = _registers[_budgetRegister];
            return (int)ExitReason.HostFault;
        }

        public void Dispose() => _vcpu.Dispose();
    }
}
