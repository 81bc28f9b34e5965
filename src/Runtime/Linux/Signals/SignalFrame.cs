namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// What an ABI needs to build a handler's frame on the guest stack: the signal (guest number) and
/// its info, where the handler is, the stack to build on, where the interrupted code resumes, the
/// mask and alternate stack that sigreturn restores, and the sigreturn trampoline to return through.
/// </summary>
public readonly record struct SignalFrame(
    SignalInfo Info,
    uint Handler,
    uint StackPointer,
    uint ResumePc,
    SignalSet SavedMask,
    SignalStack SavedStack,
    uint Trampoline);
