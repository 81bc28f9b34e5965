namespace Isa.Backends.Host;

/// <summary>
/// Turns a SIGSEGV/SIGBUS raised by JIT code into a jump to the JIT's landing pad, in front of
/// .NET's own handler (which aborts on a fault outside managed code).
/// </summary>
/// <remarks>
/// <para>For a fault raised by an access (si_code &gt; 0) whose RIP lies in a registered range, the
/// handler (x64 machine code generated with Iced: managed code cannot run in signal context) does
/// <c>ctx = uc.gregs[REG_RBX]; [ctx + faultRipOffset] = RIP; [ctx + faultAddressOffset] = si_addr;
/// RIP = [ctx + landingOffset]</c> and returns, so the thread resumes at the landing pad with every
/// other register as at the fault. <c>si_addr</c> is the host address: for a <c>gs:</c> access,
/// the window base plus the guest address.</para>
/// <para>Anything else goes to the previous action exactly as the kernel would have delivered it:
/// our action copies the previous one's mask and SA_ONSTACK/SA_RESTART/SA_NODEFER, and the handler
/// tail-jumps to it with the same three arguments and return address; SA_RESETHAND is honoured;
/// under SIG_DFL (or SIG_IGN, which the kernel overrides for faults) it restores the default action
/// and returns, so the fault re-raises (a signal sent by a process is sent again).</para>
/// <para>The action is set with glibc's <c>sigaction</c>, not the raw syscall: glibc supplies the
/// <c>SA_RESTORER</c> trampoline (rt_sigreturn) that x86-64 requires and that debuggers and unwinders
/// recognise, and the previous action comes back in the same layout .NET used to set it.</para>
/// </remarks>
public static class JitFaultHandler
{
    private static readonly Lock s_lock = new();
    private static JitFaultStub? s_stub;
    private static volatile bool s_installed;

    public static bool IsInstalled => s_installed;

    /// <summary>
    /// Installs the handler (once per process) and registers [codeStart, codeEnd) as JIT code whose
    /// context, pointed to by RBX, holds the fault RIP, the fault address and the landing pad at
    /// the given (signed) offsets. Calling again with the same range, a range inside it or a wider
    /// one is fine; a range overlapping one registered with other offsets is an error. Registered
    /// code must stay mapped until <see cref="Remove"/> (an <see cref="ExecutableMemory"/> removes its
    /// range when disposed).
    /// </summary>
    public static void Install(nint codeStart, nint codeEnd, int faultRipOffset, int faultAddressOffset, int landingOffset)
    {
        LinuxNative.RequireSupported("the JIT fault handler (SIGSEGV/SIGBUS in front of .NET's)");
        if ((ulong)codeStart >= (ulong)codeEnd)
        {
            throw new ArgumentException($"empty JIT code range [0x{codeStart:x}, 0x{codeEnd:x})", nameof(codeEnd));
        }

        lock (s_lock)
        {
            s_stub ??= new JitFaultStub();

            // The range first: the handler is live the moment sigaction returns.
            s_stub.AddRange(codeStart, codeEnd, faultRipOffset, faultAddressOffset, landingOffset);
            if (!s_installed)
            {
                TakeOver(LinuxNative.SigSegv, JitFaultStub.SegvSlot, s_stub);
                TakeOver(LinuxNative.SigBus, JitFaultStub.BusSlot, s_stub);
                s_installed = true;
            }
        }
    }

    /// <summary>Stops treating any range overlapping [codeStart, codeEnd) as JIT code.</summary>
    public static void Remove(nint codeStart, nint codeEnd)
    {
        lock (s_lock)
        {
            s_stub?.RemoveRange(codeStart, codeEnd);
        }
    }

    private static unsafe void TakeOver(int signal, int slot, JitFaultStub stub)
    {
        LinuxNative.Sigaction previous;
        if (LinuxNative.sigaction(signal, null, &previous) != 0)
        {
            throw LinuxNative.Failure($"sigaction({signal}) query");
        }

        stub.SetPrevious(slot, previous.Handler, previous.Flags);
        LinuxNative.Sigaction action = default;
        action.Handler = stub.Entry(slot);
        if (previous.Handler > 1)
        {
            // The kernel then blocks, and chooses the stack, exactly as for the previous handler.
            action.Flags = LinuxNative.SaSigInfo | (previous.Flags & (LinuxNative.SaOnStack | LinuxNative.SaRestart | LinuxNative.SaNoDefer));
            for (int i = 0; i < 16; i++)
            {
                action.Mask[i] = previous.Mask[i];
            }
        }
        else
        {
            action.Flags = LinuxNative.SaSigInfo | LinuxNative.SaOnStack | LinuxNative.SaRestart;
        }

        if (LinuxNative.sigaction(signal, &action, null) != 0)
        {
            throw LinuxNative.Failure($"sigaction({signal}) install");
        }
    }
}
