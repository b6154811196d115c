using System;
using System.IO;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Editors
{
    /// <summary>
    /// A new user's first run: in a fresh clone (the repository's build files, the analyzer and code-fix projects
    /// and the sample, nothing built), the README's <c>dotnet format</c> command loads the sample's workspace without
    /// warnings. dotnet format loads projects as editors do (MSBuildWorkspace), so a warning here is one an editor's
    /// project load meets too.
    /// </summary>
    public class WorkspaceLoadTests
    {
        private const string LoadWarnings = "Warnings were encountered while loading the workspace";

        [Fact]
        public void Dotnet_format_on_a_fresh_clone_of_the_sample_loads_without_warnings()
        {
            string clone = DotnetCli.NewTemporaryDirectory("comimp-fresh-clone");
            try
            {
                foreach (string file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" })
                {
                    File.Copy(RepositoryPaths.Combine(file), Path.Combine(clone, file));
                }

                foreach (string directory in new[] { Path.Combine("src", "Analyzers"), Path.Combine("src", "CodeFixes"), Path.Combine("samples", "AsyncComServer") })
                {
                    DotnetCli.CopyDirectory(RepositoryPaths.Combine(directory), Path.Combine(clone, directory));
                }

                string[] command = { "format", "analyzers", "samples/AsyncComServer", "--diagnostics", "COMIMP001", "COMIMP002", "COMIMP003", "COMIMP004", "COMIMP007", "--severity", "info" };
                (int exit, string output) = DotnetCli.Run(clone, TimeSpan.FromMinutes(5), command);
                Assert.True(exit == 0, "dotnet format failed:" + Environment.NewLine + output);
                if (output.Contains(LoadWarnings, StringComparison.Ordinal))
                {
                    // The same command at diagnostic verbosity names the warnings.
                    (_, string detail) = DotnetCli.Run(clone, TimeSpan.FromMinutes(5), [.. command, "--verbosity", "diagnostic"]);
                    Assert.Fail(LoadWarnings + ":" + Environment.NewLine + detail);
                }
            }
            finally
            {
                Directory.Delete(clone, recursive: true);
            }
        }
    }
}
