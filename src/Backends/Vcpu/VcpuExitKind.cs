namespace Isa.Backends.Vcpu;

/// <summary>Why <see cref="IVirtualProcessor.Run"/> returned, the same for every hypervisor.</summary>
public enum VcpuExitKind
{
    /// <summary>An <c>in</c> or <c>out</c>: <see cref="VcpuExit.Port"/>, size, direction and the data written.</summary>
    PortIo = 1,

    /// <summary>A <c>hlt</c> (there is no in-kernel interrupt controller, so it always exits).</summary>
    Halt,

    /// <summary>An access to guest-physical memory that nothing backs: <see cref="VcpuExit.Address"/>.</summary>
    UnmappedMemory,

    /// <summary>A triple fault or another shutdown of the processor.</summary>
    Shutdown,

    /// <summary><see cref="IVirtualProcessor.Cancel"/> or a host signal interrupted the run.</summary>
    Canceled,

    /// <summary>The hypervisor failed to run or reported a state it cannot continue from: <see cref="VcpuExit.Message"/>.</summary>
    Failure,
}
