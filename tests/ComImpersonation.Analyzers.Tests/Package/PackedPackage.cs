using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Package
{
    /// <summary>
    /// The package as users get it: <c>dotnet pack src/Package</c> once per test run (the fixture of
    /// <see cref="PackedPackageCollection"/>), into a folder that serves
    /// as a local NuGet feed. Consumers restore into a package folder of their own, so a package cached by an
    /// earlier run (same version, older build) can never stand in for this one.
    /// </summary>
    public sealed class PackedPackage : IDisposable
    {
        public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

        public PackedPackage()
        {
            Root = DotnetCli.NewTemporaryDirectory("comimp-package");
            Feed = Path.Combine(Root, "feed");
            PackagesFolder = Path.Combine(Root, "packages");
            (int exit, string output) = DotnetCli.Run(
                RepositoryPaths.Root,
                Timeout,
                "pack", Path.Combine("src", "Package"), "-c", "Release", "-o", Feed, "--artifacts-path", Path.Combine(Root, "artifacts"));
            if (exit != 0)
            {
                throw new InvalidOperationException("dotnet pack failed:" + Environment.NewLine + output);
            }

            PackagePath = Directory.GetFiles(Feed, "ComImpersonation.Analyzers.*.nupkg").Single();
            Version = Path.GetFileNameWithoutExtension(PackagePath).Substring("ComImpersonation.Analyzers.".Length);
        }

        public string Root { get; }

        public string Feed { get; }

        public string PackagesFolder { get; }

        public string PackagePath { get; }

        public string Version { get; }

        /// <summary>
        /// A fresh project in a folder of its own that installs the package by <c>PackageReference</c> from the
        /// local feed only, with <paramref name="files"/> (name, text) beside it.
        /// </summary>
        public string NewConsumer(string name, IEnumerable<(string Name, string Text)> files)
        {
            string directory = Path.Combine(Root, name);
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{Feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(directory, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="ComImpersonation.Analyzers" Version="{Version}" />
                  </ItemGroup>
                </Project>
                """);
            foreach ((string fileName, string text) in files)
            {
                File.WriteAllText(Path.Combine(directory, fileName), text);
            }

            return directory;
        }

        /// <summary>Runs <c>dotnet</c> for a consumer, restoring into this fixture's own package folder.</summary>
        public (int ExitCode, string Output) Dotnet(string directory, params string[] arguments) =>
            DotnetCli.Run(directory, Timeout, new Dictionary<string, string> { ["NUGET_PACKAGES"] = PackagesFolder }, arguments);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A build server may still hold a file for a moment; the folder is under the temporary directory.
            }
        }
    }
}
