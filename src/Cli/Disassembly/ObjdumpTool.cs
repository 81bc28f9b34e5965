using System.Diagnostics;
using Isa.Cli.Commands;

namespace Isa.Cli.Disassembly;

/// <summary>
/// Finds and runs the reference GNU objdump. Its output is streamed line by line: busybox
/// disassembles to about half a million lines, which need not all be held at once.
/// </summary>
public static class ObjdumpTool
{
    public const string SetupHint = "run `bash scripts/setup-deps.sh`";

    /// <summary>
    /// The objdump to compare with: <paramref name="explicitPath"/> if given, else the flavor's tool on PATH.
    /// </summary>
    /// <exception cref="CommandException">The tool is not there; the message says how to install it.</exception>
    public static string Locate(ObjdumpFlavor flavor, string? explicitPath, string isaName)
    {
        ArgumentNullException.ThrowIfNull(flavor);
        if (explicitPath is not null)
        {
            return File.Exists(explicitPath)
                ? Path.GetFullPath(explicitPath)
                : throw new CommandException($"objdump {explicitPath} does not exist");
        }

        if (flavor.Tool is null)
        {
            throw new CommandException($"no reference objdump is known for {isaName} programs; pass --objdump PATH");
        }

        string? path = FindOnPath(flavor.Tool);
        return path ?? throw new CommandException($"{flavor.Tool} not found on PATH: {SetupHint} (or pass --objdump PATH)");
    }

    /// <summary>
    /// The lines <c>objdump -d FILE</c> prints, read as the caller enumerates them. Enumerating to the
    /// end checks the exit status; stopping early kills the process.
    /// </summary>
    /// <exception cref="CommandException">objdump could not start or failed (its first error line is in the message).</exception>
    public static IEnumerable<string> Disassemble(string objdumpPath, string file)
    {
        ArgumentNullException.ThrowIfNull(objdumpPath);
        ArgumentNullException.ThrowIfNull(file);
        var start = new ProcessStartInfo(objdumpPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add("--");
        start.ArgumentList.Add(file);
        start.Environment["LC_ALL"] = "C"; // untranslated headers, which the parser recognises
        return Lines(start, objdumpPath, file);
    }

    private static IEnumerable<string> Lines(ProcessStartInfo start, string objdumpPath, string file)
    {
        using Process process = StartOrThrow(start, objdumpPath);
        Task<string> errors = process.StandardError.ReadToEndAsync();
        bool finished = false;
        try
        {
            while (process.StandardOutput.ReadLine() is string line)
            {
                yield return line;
            }

            process.WaitForExit();
            finished = true;
        }
        finally
        {
            if (!finished && !process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        if (process.ExitCode != 0)
        {
            string first = errors.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no message";
            throw new CommandException($"{Path.GetFileName(objdumpPath)} -d {file} failed with status {process.ExitCode}: {first}");
        }
    }

    private static Process StartOrThrow(ProcessStartInfo start, string objdumpPath)
    {
        try
        {
            return Process.Start(start) ?? throw new CommandException($"cannot start {objdumpPath}");
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new CommandException($"cannot start {objdumpPath}: {error.Message}", error);
        }
    }

    private static string? FindOnPath(string tool)
    {
        string[] directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return directories
            .Append("/usr/bin") // where setup-deps.sh's Debian packages put it, should PATH be minimal
            .Select(directory => Path.Combine(directory, tool))
            .FirstOrDefault(File.Exists);
    }
}
