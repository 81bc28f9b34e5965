namespace Isa.Backends.Jit;

/// <summary>Why JIT code returned to the dispatcher (in EAX). Traps use 0x100 + their TrapKind.</summary>
internal enum ExitReason
{
    /// <summary>A direct jump whose target was not translated yet: translate, then patch the site (JitContext.ExitSite).</summary>
    Link = 1,

    /// <summary>An indirect jump missed the lookup table; the state's PC is the target.</summary>
    Lookup = 2,

    /// <summary>The budget does not cover the next block.</summary>
    Budget = 3,

    /// <summary>The instruction at the state's PC has no JIT lowering: run it on the interpreter.</summary>
    Interpret = 4,

    /// <summary>A host fault in JIT code (JitContext.FaultRip/FaultAddress, registers saved).</summary>
    HostFault = 5,

    Trap = 0x100,
}
