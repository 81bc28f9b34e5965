using Isa.Runtime.Memory;

namespace Isa.Runtime.Cpu;

/// <summary>
/// A guest CPU: its architectural state and an engine that executes it. Every generated ISA
/// implements this, so loaders, HLE and tools drive any ISA the same way.
/// </summary>
public interface ICpu
{
    GuestIsa Isa { get; }

    GuestMemory Memory { get; }

    /// <summary>
    /// The native address of the architectural state, laid out as <see cref="GuestIsa.StateLayout"/>,
    /// with a <see cref="CpuStateBlock"/> header before it: execution hosts read and write it in place.
    /// </summary>
    nint StateAddress { get; }

    /// <summary>The address of the next instruction to execute. Setting it also clears any pending delayed branch.</summary>
    ulong Pc { get; set; }

    /// <summary>
    /// The address of the instruction after <see cref="Pc"/>: <c>Pc</c> plus one instruction, or a
    /// taken branch's target while <see cref="Pc"/> is that branch's delay slot. Signal delivery
    /// reads it to resume at the branch instead, as the Linux kernel does (EPC with Cause.BD).
    /// </summary>
    ulong NextPc { get; }

    /// <summary>Reads element <paramref name="index"/> of register file <paramref name="file"/> (an index into <see cref="GuestIsa.Registers"/>).</summary>
    ulong GetRegister(int file, int index);

    void SetRegister(int file, int index, ulong value);

    /// <summary>Instructions completed so far (a trapping instruction does not count until it is resumed past).</summary>
    long InstructionsRetired { get; }

    /// <summary>Executes until a trap, a fault, or <paramref name="maxInstructions"/> have run.</summary>
    CpuExit Run(long maxInstructions);

    /// <summary>
    /// Resumes after a trap that the host has serviced (a syscall or a breakpoint): the guest
    /// continues with the instruction after the trapping one.
    /// </summary>
    void SkipTrappedInstruction();
}
