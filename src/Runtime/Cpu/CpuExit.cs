namespace Isa.Runtime.Cpu;

/// <summary>
/// A stop of guest execution: its kind, the address of the instruction that caused it, and a
/// kind-specific value (the syscall or break code, or the faulting data address).
/// </summary>
public readonly record struct CpuExit(TrapKind Kind, ulong Pc, ulong Value = 0)
{
    public override string ToString() => Kind switch
    {
        TrapKind.MemoryFault or TrapKind.AddressError => $"{Kind} at pc 0x{Pc:x8} (address 0x{Value:x8})",
        TrapKind.Syscall or TrapKind.Breakpoint or TrapKind.Trap => $"{Kind} at pc 0x{Pc:x8} (code 0x{Value:x})",
        _ => $"{Kind} at pc 0x{Pc:x8}",
    };
}
