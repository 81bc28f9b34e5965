namespace Isa.Backends.Vcpu;

/// <summary>
/// How code inside a vCPU asks the host for something. Every request is an <c>out</c> of EAX to a
/// port (the exit record carries the value, so the host needs no register read); a processor
/// exception is a <c>hlt</c> in its IDT stub with the vector and the CPU's frame on the stack.
/// </summary>
public static class VcpuProtocol
{
    /// <summary>Leave JIT code: EAX is the exit reason (the JIT's ExitReason); the budget is in the context.</summary>
    public const ushort ExitPort = 0xE0;

    /// <summary>Run instructions on the interpreter: EAX is the count; the host writes the result to the context's VcpuCallOutResult and resumes.</summary>
    public const ushort CallOutPort = 0xE1;

    /// <summary>
    /// What an exception stub leaves at RSP when it halts: the vector, the error code (0 for
    /// vectors without one), then the processor's frame: RIP, CS, RFLAGS, RSP, SS.
    /// </summary>
    public const int FrameVector = 0, FrameErrorCode = 8, FrameRip = 16, FrameRsp = 40, FrameBytes = 56;

    public const int PageFaultVector = 14;

    /// <summary>Vectors for which the processor pushes an error code.</summary>
    public static bool HasErrorCode(int vector) => vector is 8 or 10 or 11 or 12 or 13 or 14 or 17 or 21 or 29 or 30;
}
