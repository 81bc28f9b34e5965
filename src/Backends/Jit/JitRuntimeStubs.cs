using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Jit;

/// <summary>
/// The hand-written machine code every block relies on: entering JIT code from the host, leaving it,
/// the indirect-jump lookup and the landing pad of the fault handler. One set per engine.
/// </summary>
internal sealed class JitRuntimeStubs
{
    public const int LookupEntries = 65536;
    public const int LookupEntryBytes = 16;

    // Room for the loads or the stores of every home register (mov r64, [rbx + disp32]: 7 bytes) and a jump past the rest.
    private const int ResidentPatchBytes = (7 * 6) + 2;

    private JitRuntimeStubs(IndirectJumps jumps, nint entry, nint resume, nint exit, nint indirectJump, nint lookupMiss, nint faultLanding)
    {
        Jumps = jumps;
        Entry = entry;
        Resume = resume;
        Exit = exit;
        IndirectJump = indirectJump;
        LookupMiss = lookupMiss;
        FaultLanding = faultLanding;
    }

    /// <summary>How computed jumps find their targets (the execution host's choice); blocks emit their jumps with it too.</summary>
    public IndirectJumps Jumps { get; }

    /// <summary>The guest registers the stubs load at every entry and store at every exit (<see cref="X64.X64Emitter.Home.Resident"/>).</summary>
    public X64.X64Emitter.Home[] Resident { get; private set; } = [];

    /// <summary><c>int Enter(state, hostCode)</c>: saves the host's callee-saved registers, runs until an exit, returns its reason.</summary>
    public nint Entry { get; }

    /// <summary>Where a host that sets up the registers itself (a vCPU) starts JIT code: loads the resident guest registers, jumps to RDX.</summary>
    public nint Resume { get; }

    /// <summary>Jumped to with the reason in EAX: stores the resident guest registers, restores the host registers and returns from <see cref="Entry"/>.</summary>
    public nint Exit { get; }

    /// <summary>Jumped to when the next guest PC (in the state's NextPc) is only known at run time.</summary>
    public nint IndirectJump { get; }

    /// <summary>Jumped to when a probe of the lookup table missed (the state's PC is the target): asks the dispatcher.</summary>
    public nint LookupMiss { get; }

    /// <summary>Where the fault handler resumes a faulting block: saves every host register, exits.</summary>
    public nint FaultLanding { get; }

    /// <param name="vcpuExitPort">Non-zero when the code runs inside a vCPU: the exit stores the budget and reports the reason with an <c>out</c> to this port, and the host takes over.</param>
    public static JitRuntimeStubs Create(CodeBuffer code, MemoryAddressing addressing, int pcOffset, int nextPcOffset, IndirectJumps jumps, ushort vcpuExitPort = 0)
    {
        var a = new Assembler(64);
        Label entry = a.CreateLabel(), resume = a.CreateLabel(), exit = a.CreateLabel(), leave = a.CreateLabel(), indirect = a.CreateLabel(), landing = a.CreateLabel(), miss = a.CreateLabel();
        var patchArea = new byte[ResidentPatchBytes];
        AssemblerRegister64[] saved = [rbx, rbp, r12, r13, r14, r15, rsi, rdi];

        a.Label(ref entry);
        foreach (AssemblerRegister64 r in saved)
        {
            a.push(r);
        }

        a.sub(rsp, 8);
        bool windows = OperatingSystem.IsWindows();
        a.mov(rbx, windows ? rcx : rdi);
        if (!windows)
        {
            a.mov(rdx, rsi);
        }

        a.mov(__qword_ptr[rbx + JitContext.SavedRsp], rsp);
        if (addressing == MemoryAddressing.BaseRegister)
        {
            a.mov(r15, __qword_ptr[rbx + JitContext.WindowBase]);
        }

        AssemblerRegister64 budget = X64.X64Emitter.BudgetRegister(addressing);
        a.mov(budget, __qword_ptr[rbx + JitContext.Budget]);

        // The loads of the resident guest registers (patched by SetResident), then the jump into the code.
        a.Label(ref resume);
        a.db(patchArea);
        a.jmp(rdx);

        // The stores of the resident guest registers (patched likewise). The fault landing pad leaves
        // after them: the fault recovery stores every home of the block from the registers it saved.
        a.Label(ref exit);
        a.db(patchArea);
        a.Label(ref leave);
        a.mov(__qword_ptr[rbx + JitContext.Budget], budget);
        if (vcpuExitPort != 0)
        {
            // The host sets RIP, RSP and the registers afresh for the next entry: nothing to restore.
            a.mov(edx, (uint)vcpuExitPort);
            a.@out(dx, eax);
            a.ud2();
        }

        a.mov(rsp, __qword_ptr[rbx + JitContext.SavedRsp]);
        a.add(rsp, 8);
        for (int i = saved.Length - 1; i >= 0; i--)
        {
            a.pop(saved[i]);
        }

        a.ret();

        // Indirect jumps: through the host's table; a miss asks the dispatcher.
        a.Label(ref indirect);
        a.mov(eax, __dword_ptr[rbx + nextPcOffset]);
        jumps.EmitJump(a, eax, pcOffset, miss);
        a.Label(ref miss);
        a.mov(eax, (int)ExitReason.Lookup);
        a.jmp(exit);

        a.Label(ref landing);
        for (int r = 0; r < 16; r++)
        {
            a.mov(__qword_ptr[rbx + JitContext.SavedRegisters + (8 * r)], new AssemblerRegister64(Register.RAX + r));
        }

        a.mov(eax, (int)ExitReason.HostFault);
        a.jmp(leave);

        CodeBuffer.Placed placed = code.Place(a, [entry, resume, exit, indirect, miss, landing]);
        var stubs = new JitRuntimeStubs(jumps, placed.Labels[0], placed.Labels[1], placed.Labels[2], placed.Labels[3], placed.Labels[4], placed.Labels[5]);
        stubs.SetResident(code, []);
        return stubs;
    }

    /// <summary>
    /// Makes <paramref name="resident"/> the guest registers the entry loads and the exit stores, in
    /// place (the stubs keep their addresses). No thread may run JIT code meanwhile, and no block
    /// translated for other resident registers may stay.
    /// </summary>
    public void SetResident(CodeBuffer code, X64.X64Emitter.Home[] resident)
    {
        var a = new Assembler(64);
        X64.X64Emitter.LoadHomes(a, resident, resident: true);
        code.Patch(Resume, ResidentPatchBytes, a); // the loads' patch area starts the resume stub
        a.Reset();
        X64.X64Emitter.StoreHomes(a, resident, all: true);
        code.Patch(Exit, ResidentPatchBytes, a); // the stores' patch area starts the exit stub
        Resident = resident;
    }

    /// <summary>
    /// The probe of the lookup table for a jump to the guest PC in <paramref name="target"/> (which
    /// becomes the state's PC; the register is left as it is): straight to the target's code on a
    /// hit, to <paramref name="miss"/> otherwise. Blocks ending in a computed jump carry their own
    /// copy, so each guest jump site has its own host indirect jump for the branch predictor to learn.
    /// </summary>
    public static void EmitProbe(Assembler a, AssemblerRegister32 target, int pcOffset, int instructionShift, Label miss)
    {
        if (target == ecx)
        {
            throw new ArgumentException("the probe computes its entry in ECX: the target must be elsewhere", nameof(target));
        }

        a.mov(__dword_ptr[rbx + pcOffset], target);
        a.mov(ecx, target);
        a.shr(ecx, (byte)instructionShift);
        a.and(ecx, LookupEntries - 1);
        a.shl(rcx, 4);
        a.add(rcx, __qword_ptr[rbx + JitContext.LookupTable]);
        a.cmp(__dword_ptr[rcx], target);
        a.jne(miss);
        a.jmp(__qword_ptr[rcx + 8]);
    }
}
