namespace Isa.Runtime.Cpu;

/// <summary>Why guest execution stopped and handed control to the host.</summary>
public enum TrapKind
{
    /// <summary>No trap: execution continues (what instruction handlers return normally).</summary>
    None,

    /// <summary>The instruction budget of a run ran out; the guest can simply be resumed.</summary>
    BudgetExhausted,

    /// <summary>A system call instruction; the HLE services it and resumes after it.</summary>
    Syscall,

    /// <summary>A breakpoint instruction (MIPS <c>break</c>, RISC-V <c>ebreak</c>).</summary>
    Breakpoint,

    /// <summary>A conditional trap instruction fired (MIPS <c>teq</c> and friends).</summary>
    Trap,

    /// <summary>Signed arithmetic overflowed in an instruction that traps on it.</summary>
    IntegerOverflow,

    /// <summary>The word at the PC is not an instruction of this ISA, or is reserved.</summary>
    IllegalInstruction,

    /// <summary>A misaligned access that the ISA does not allow.</summary>
    AddressError,

    /// <summary>An access to an unmapped guest page or one without the needed permission.</summary>
    MemoryFault,

    /// <summary>An enabled floating-point exception.</summary>
    FloatingPoint,

    /// <summary>The guest stopped the CPU (for example Allegrex <c>halt</c>).</summary>
    Halt,
}
