using System.Runtime.InteropServices;
using System.Text;

namespace Isa.Runtime.Linux;

/// <summary>Host process creation for guest fork and execve: memfd, posix_spawn, execve, wait4.</summary>
internal static unsafe partial class HostSyscalls
{
    public const long Wait4 = 61, Waitid = 247, MemfdCreate = 319;

    /// <summary>
    /// Starts <paramref name="argv"/>[0] with posix_spawn (vfork-like, safe in a multi-threaded
    /// runtime). Each of <paramref name="inherit"/> stays open at the same number in the child,
    /// close-on-exec or not (POSIX's adddup2 of a descriptor onto itself clears the flag in the
    /// child only); every other close-on-exec descriptor is closed. Returns the pid or -errno.
    /// </summary>
    public static long Spawn(IReadOnlyList<string> argv, IReadOnlyList<string> envp, IEnumerable<int> inherit)
    {
        // posix_spawn_file_actions_t is 80 bytes on x86-64 glibc; leave room.
        byte* actions = stackalloc byte[256];
        int error = posix_spawn_file_actions_init(actions);
        if (error != 0)
        {
            return -error;
        }

        nint* native = null;
        try
        {
            foreach (int fd in inherit)
            {
                error = posix_spawn_file_actions_adddup2(actions, fd, fd);
                if (error != 0)
                {
                    return -error;
                }
            }

            native = NativeStrings(argv, envp);
            int pid;
            error = posix_spawn(&pid, (byte*)native[0], actions, null, native, native + argv.Count + 1);
            return error != 0 ? -error : pid;
        }
        finally
        {
            posix_spawn_file_actions_destroy(actions);
            FreeStrings(native, argv.Count + envp.Count + 2);
        }
    }

    /// <summary>Replaces this process by <paramref name="argv"/>[0]; returns only on failure (-errno).</summary>
    public static long Execute(IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        nint* native = NativeStrings(argv, envp);
        try
        {
            execve((byte*)native[0], native, native + argv.Count + 1);
            return -Marshal.GetLastPInvokeError();
        }
        finally
        {
            FreeStrings(native, argv.Count + envp.Count + 2);
        }
    }

    public static long CreateMemoryFile(string name)
    {
        fixed (byte* p = NulTerminated(Encoding.UTF8.GetBytes(name)))
        {
            return Call(MemfdCreate, (nint)p, 1 /* MFD_CLOEXEC */);
        }
    }

    /// <summary>argv and envp as two NULL-terminated arrays of UTF-8 strings, one after the other.</summary>
    private static nint* NativeStrings(IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        int total = argv.Count + envp.Count + 2;
        var block = (nint*)NativeMemory.AllocZeroed((nuint)total, (nuint)sizeof(nint));
        for (int i = 0; i < argv.Count; i++)
        {
            block[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
        }

        for (int i = 0; i < envp.Count; i++)
        {
            block[argv.Count + 1 + i] = Marshal.StringToCoTaskMemUTF8(envp[i]);
        }

        return block;
    }

    private static void FreeStrings(nint* block, int total)
    {
        if (block == null)
        {
            return;
        }

        for (int i = 0; i < total; i++)
        {
            if (block[i] != 0)
            {
                Marshal.FreeCoTaskMem(block[i]);
            }
        }

        NativeMemory.Free(block);
    }

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(byte* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(byte* actions, int fd, int newFd);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(byte* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn(int* pid, byte* path, byte* actions, void* attributes, nint* argv, nint* envp);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int execve(byte* path, nint* argv, nint* envp);
}
