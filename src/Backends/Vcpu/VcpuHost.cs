using Iced.Intel;
using Isa.Backends.Jit;
using Isa.Runtime.Cpu;
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
    private readonly VcpuAddressSpace _space;
    private readonly VcpuBlockTable _table;
    private readonly GuestMemory _memory;
    private readonly ThreadLocal<Processor?> _processor = new(trackAllValues: true);
    private nint _hostCallOut;

    public VcpuHost(IHypervisor hypervisor, GuestMemory memory, CodeBuffer code, int instructionBytes)
    {
        _hypervisor = hypervisor;
        _memory = memory;
        _stubs = VcpuStubs.Create(code);
        _space = new VcpuAddressSpace(hypervisor, memory, code, _stubs);
        _table = new VcpuBlockTable(_space, instructionBytes);
    }

    public MemoryAddressing Addressing => MemoryAddressing.FsSegment;

    IndirectJumps IExecutionHost.Jumps => _table;

    void IExecutionHost.Start(JitRuntimeStubs stubs) => _table.Start(stubs.LookupMiss);

    public string Name => _hypervisor.Name;

    public void PrepareThread(GuestMemory memory)
    {
        if (_processor.Value is null)
        {
            if (memory != _memory)
            {
                throw new InvalidOperationException("a vCPU host runs the code of one guest memory only");
            }

            _processor.Value = new Processor(this);
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

    public void Dispose()
    {
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
        private long _generation = -1;

        public Processor(VcpuHost host)
        {
            _host = host;
            _vcpu = host._hypervisor.CreateProcessor();
            nint stack = host._space.Allocate(StackBytes);
            host._space.MapHost(stack, StackBytes);
            _stackTop = stack + StackBytes;
            SpecialRegisters s = LongMode.Registers(host._space.SystemPage, host._space.Cr3, (ulong)host._memory.WindowBase, VcpuBlockTable.Base);
            _vcpu.SetSpecialRegisters(in s);
            _budgetRegister = Jit.X64.X64Emitter.BudgetRegister(MemoryAddressing.FsSegment).Value.GetNumber();
        }

        public int Run(nint state, nint hostCode)
        {
            _registers = default;
            _registers.Rip = (ulong)hostCode;
            long generation = _host._space.Generation;
            if (generation != _generation)
            {
                // Page-table entries changed since this vCPU last ran: the vCPU reloads CR3 (flushing its TLB) first.
                _generation = generation;
                _registers.Rip = (ulong)_host._stubs.FlushEntry;
                _registers[GeneralRegisters.Rcx] = (ulong)hostCode;
            }

            _registers.Rflags = GeneralRegisters.ReservedFlag;
            _registers[GeneralRegisters.Rbx] = (ulong)state;
            _registers[GeneralRegisters.Rsp] = (ulong)_stackTop;
            _registers[_budgetRegister] = *(ulong*)(state + JitContext.Budget);
            _vcpu.SetRegisters(in _registers);
            while (true)
            {
                VcpuExit exit = _vcpu.Run();
                switch (exit.Kind)
                {
                    case VcpuExitKind.PortIo when exit.IsWrite && exit.Port == VcpuProtocol.ExitPort:
                        return (int)exit.Data;
                    case VcpuExitKind.PortIo when exit.IsWrite && exit.Port == VcpuProtocol.CallOutPort:
                        nint handle = *(nint*)(state + JitContext.CallOutHandle);
                        *(int*)(state + JitContext.VcpuCallOutResult) = ((delegate* unmanaged<nint, long, int>)_host._hostCallOut)(handle, exit.Data);
                        if (_host._space.Generation != _generation)
                        {
                            // The interpreter changed page protections: the stub flushes the TLB before the block goes on.
                            _generation = _host._space.Generation;
                            *(int*)(state + JitContext.VcpuFlushTlb) = 1;
                        }

                        break;
                    case VcpuExitKind.Halt:
                        return Exception(state);
                    case VcpuExitKind.Canceled:
                        break; // a signal interrupted the run: go on
                    default:
                        _vcpu.GetRegisters(ref _registers);
                        throw new InvalidOperationException($"{_host.Name} vCPU stopped in JIT code at 0x{_registers.Rip:x}: {exit}");
                }
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
