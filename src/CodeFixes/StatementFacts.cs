using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ComImpersonation.Analyzers.Analysis;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.CodeFixes
{
    /// <summary>What the fixes ask of statements: which call a statement makes, whether it can leave, what it declares.</summary>
    internal static class StatementFacts
    {
        /// <summary>
        /// The statement that contains <paramref name="node"/> in the same function: null when the node is in an
        /// expression-bodied member, or a lambda or local function sits between the node and the statement.
        /// </summary>
        public static StatementSyntax? EnclosingStatement(SyntaxNode node)
        {
            for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
            {
                switch (current)
                {
                    case StatementSyntax statement:
                        return statement;
                    case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax:
                        return null;
                }
            }

            return null;
        }

        /// <summary>
        /// The call a statement makes at its top: <c>Call();</c>, <c>_ = Call();</c>, <c>hr = Call();</c>,
        /// <c>var hr = Call();</c>, <c>return Call();</c>.
        /// </summary>
        public static InvocationExpressionSyntax? TopInvocation(StatementSyntax statement)
        {
            ExpressionSyntax? expression = statement switch
            {
                ExpressionStatementSyntax expressionStatement => expressionStatement.Expression,
                LocalDeclarationStatementSyntax { Declaration.Variables.Count: 1 } declaration => declaration.Declaration.Variables[0].Initializer?.Value,
                ReturnStatementSyntax returnStatement => returnStatement.Expression,
                _ => null,
            };

            if (expression is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment)
            {
                expression = assignment.Right;
            }

            return Unparenthesize(expression) as InvocationExpressionSyntax;
        }

        /// <summary>A statement that is a call and nothing else: <c>Call();</c> or <c>_ = Call();</c>.</summary>
        public static InvocationExpressionSyntax? PlainCall(StatementSyntax statement)
        {
            if (statement is not ExpressionStatementSyntax { Expression: var expression })
            {
                return null;
            }

            if (expression is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard)
            {
                expression = discard.Right;
            }

            return Unparenthesize(expression) as InvocationExpressionSyntax;
        }

        /// <summary>
        /// A statement that reverts and does nothing else: <c>CoRevertToSelf();</c>, <c>security.RevertToSelf();</c>, a
        /// call of a revert wrapper, or the revert acting on its own result as the fixes write it,
        /// <c>if (!RevertToSelf()) { Environment.FailFast(…); }</c> (or with a <c>throw</c>).
        /// </summary>
        public static bool IsRevertStatement(StatementSyntax statement, FixSemantics semantics, CancellationToken cancellationToken) =>
            (PlainCall(statement) ?? CheckedCall(statement, semantics, cancellationToken)) is { } call
            && semantics.OperationOf(call, cancellationToken) == ApiOperation.Revert;

        /// <summary>
        /// <c>if (failed(Call())) { Environment.FailFast(…); }</c>, no <c>else</c>: the call, when the condition is its
        /// result's failure test (read in its own convention, as the analysis reads it) and the branch ends the process
        /// or leaves (<c>if (CoRevertToSelf() != 0) return false;</c> too: see <see cref="CanMoveIntoFinally"/>).
        /// </summary>
        private static InvocationExpressionSyntax? CheckedCall(StatementSyntax statement, FixSemantics semantics, CancellationToken cancellationToken)
        {
            if (statement is not IfStatementSyntax { Else: null } test
                || !(AlwaysLeaves(test.Statement) || EndsTheProcess(test.Statement, semantics.Model, cancellationToken))
                || semantics.Model.GetOperation(test.Condition, cancellationToken) is not { } condition
                || !ResultChecks.TryGetFailureTest(condition, out IOperation tested, out _)
                || tested.Syntax is not InvocationExpressionSyntax call
                || !ResultChecks.TryGetFailureTest(condition, semantics.ResultShapeOf(call, cancellationToken), out IOperation testedInShape, out bool failureWhenTrue)
                || !failureWhenTrue
                || testedInShape.Syntax != call)
            {
                return null;
            }

            return call;
        }

        /// <summary>
        /// A revert statement that can stand in a <c>finally</c> as it is: no <c>return</c>, <c>break</c>,
        /// <c>continue</c> or <c>goto</c> in it (control cannot leave a <c>finally</c> that way, CS0157). A checked
        /// revert that returns on failure (<c>if (CoRevertToSelf() != 0) return false;</c>) is replaced by the end the
        /// row writes, which stops the process where the revert fails.
        /// </summary>
        public static bool CanMoveIntoFinally(StatementSyntax revert) =>
            !MayJumpOut(revert)
            && !revert.DescendantNodesAndSelf(node => node is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax)
                .Any(node => node is YieldStatementSyntax); // nor can a finally yield (CS1625)

        /// <summary><c>Environment.FailFast(…);</c>, alone or as the last statement of a block: control never comes back.</summary>
        private static bool EndsTheProcess(StatementSyntax statement, SemanticModel model, CancellationToken cancellationToken)
        {
            if (statement is BlockSyntax { Statements.Count: > 0 } block)
            {
                statement = block.Statements[block.Statements.Count - 1];
            }

            return statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call }
                && ApiModel.InvokedName(call) == "FailFast"
                && model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { ContainingType: { Name: "Environment", ContainingNamespace.Name: "System" } };
        }

        /// <summary>
        /// <c>IntPtr none = IntPtr.Zero;</c> right before <c>NtSetInformationThread(…, ref none, …)</c>: a declaration of
        /// one local, calling nothing, that only <paramref name="revert"/> uses. It belongs with the revert wherever the
        /// revert goes.
        /// </summary>
        public static bool IsPreparationOf(StatementSyntax statement, StatementSyntax revert, SemanticModel model, CancellationToken cancellationToken)
        {
            if (statement is not LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, Declaration.Variables: { Count: 1 } variables } declaration
                || InvocationsIn(declaration).Any()
                || model.GetDeclaredSymbol(variables[0], cancellationToken) is not ILocalSymbol local)
            {
                return false;
            }

            bool usedByRevert = false;
            foreach (IdentifierNameSyntax name in FunctionBodyOf(statement).DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (name.Identifier.ValueText != local.Name || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, local))
                {
                    continue;
                }

                if (!revert.Span.Contains(name.Span))
                {
                    return false;
                }

                usedByRevert = true;
            }

            return usedByRevert;
        }

        /// <summary>True when the statement's top call signals (directly or through a signal wrapper).</summary>
        public static bool IsSignal(StatementSyntax statement, FixSemantics semantics, CancellationToken cancellationToken) =>
            TopInvocation(statement) is { } call && semantics.OperationOf(call, cancellationToken) == ApiOperation.Signal;

        /// <summary>True when the statement contains a call that impersonates (outside nested functions).</summary>
        public static bool Impersonates(StatementSyntax statement, FixSemantics semantics, CancellationToken cancellationToken) =>
            InvocationsIn(statement).Any(call => semantics.OperationOf(call, cancellationToken) == ApiOperation.Impersonate);

        /// <summary>A <c>try</c> statement whose <c>finally</c> reverts at its top level.</summary>
        public static bool IsTryWithRevertInFinally(StatementSyntax statement, FixSemantics semantics, CancellationToken cancellationToken) =>
            statement is TryStatementSyntax { Finally.Block: { } block }
            && block.Statements.Any(inner => IsRevertStatement(inner, semantics, cancellationToken));

        /// <summary>
        /// The local (or field, or parameter) that <paramref name="statement"/> stores <paramref name="call"/>'s
        /// result in: <c>var hr = Call();</c>, <c>hr = Call();</c>.
        /// </summary>
        public static ISymbol? ResultHolder(StatementSyntax statement, InvocationExpressionSyntax call, SemanticModel model, CancellationToken cancellationToken)
        {
            switch (statement)
            {
                case LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables }
                    when Unparenthesize(variables[0].Initializer?.Value) == call:
                    return model.GetDeclaredSymbol(variables[0], cancellationToken);
                case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment }
                    when Unparenthesize(assignment.Right) == call:
                    ISymbol? target = model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol;
                    return target is ILocalSymbol or IFieldSymbol or IParameterSymbol ? target : null;
                default:
                    return null;
            }
        }

        /// <summary>
        /// A check of an impersonation's result that only leaves on failure: <c>if (hr &lt; 0) return hr;</c> (no
        /// <c>else</c>, the branch always leaves) or <c>Marshal.ThrowExceptionForHR(hr);</c> / <c>hr.ThrowOnFailure();</c>.
        /// </summary>
        public static bool IsResultGuard(StatementSyntax statement, ISymbol? result, SemanticModel model, CancellationToken cancellationToken)
        {
            if (result is null)
            {
                return false;
            }

            switch (statement)
            {
                case IfStatementSyntax { Else: null } guard when AlwaysLeaves(guard.Statement):
                    return Mentions(guard.Condition, result, model, cancellationToken);
                case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call }
                    when ApiModel.InvokedName(call) is { } name && (name == ApiTable.MarshalThrowMethod || ApiTable.HResultThrowMethods.Contains(name)):
                    return Mentions(call, result, model, cancellationToken);
                default:
                    return false;
            }
        }

        /// <summary>True when control never reaches the end of <paramref name="statement"/>: it returns, throws or jumps.</summary>
        public static bool AlwaysLeaves(StatementSyntax statement) => statement switch
        {
            ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax => true,
            YieldStatementSyntax yield => yield.IsKind(SyntaxKind.YieldBreakStatement),
            BlockSyntax block => block.Statements.Count > 0 && AlwaysLeaves(block.Statements[block.Statements.Count - 1]),
            ExpressionStatementSyntax { Expression: ThrowExpressionSyntax } => true,
            _ => false,
        };

        /// <summary>A <c>break;</c>, <c>continue;</c> or value-less <c>return;</c> that closes a block or section.</summary>
        public static bool IsBareJump(StatementSyntax statement) =>
            statement is BreakStatementSyntax or ContinueStatementSyntax or ReturnStatementSyntax { Expression: null };

        /// <summary>
        /// True when <paramref name="statement"/> can move control out of itself other than by an exception:
        /// <c>return</c>, <c>goto</c>, <c>yield break</c>, or a <c>break</c> / <c>continue</c> that is not inside a
        /// loop or <c>switch</c> of its own. Nested functions do not count: their jumps leave only themselves.
        /// </summary>
        /// <remarks>With <paramref name="exceptReturns"/>, <c>return</c> statements do not count.</remarks>
        public static bool MayJumpOut(StatementSyntax statement, bool exceptReturns = false)
        {
            foreach (SyntaxNode node in statement.DescendantNodesAndSelf(descendIntoChildren: n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax))
            {
                switch (node)
                {
                    case ReturnStatementSyntax when exceptReturns:
                        break;
                    case ReturnStatementSyntax or GotoStatementSyntax:
                        return true;
                    case YieldStatementSyntax yield when yield.IsKind(SyntaxKind.YieldBreakStatement):
                        return true;
                    case BreakStatementSyntax or ContinueStatementSyntax when !HasOwnLoop(node, statement):
                        return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The locals and local functions declared in <paramref name="statements"/> that code outside them (within
        /// <paramref name="scope"/>) uses: moving the statements into a block of their own would hide them.
        /// </summary>
        /// <remarks>With <paramref name="inside"/>, uses within that span count as inside (the statements are part of it).</remarks>
        public static bool DeclaresNamesUsedElsewhere(IReadOnlyList<StatementSyntax> statements, SyntaxNode scope, SemanticModel model, CancellationToken cancellationToken, Microsoft.CodeAnalysis.Text.TextSpan? inside = null)
        {
            if (statements.Count == 0)
            {
                return false;
            }

            var declared = new Dictionary<string, List<ISymbol>>();
            foreach (StatementSyntax statement in statements)
            {
                foreach (SyntaxNode node in statement.DescendantNodesAndSelf())
                {
                    SyntaxToken identifier = node switch
                    {
                        VariableDeclaratorSyntax variable => variable.Identifier,
                        SingleVariableDesignationSyntax designation => designation.Identifier,
                        LocalFunctionStatementSyntax function => function.Identifier,
                        _ => default,
                    };

                    if (identifier.ValueText.Length > 0 && model.GetDeclaredSymbol(node, cancellationToken) is { } symbol)
                    {
                        if (!declared.TryGetValue(identifier.ValueText, out List<ISymbol>? symbols))
                        {
                            declared[identifier.ValueText] = symbols = new List<ISymbol>();
                        }

                        symbols.Add(symbol);
                    }
                }
            }

            if (declared.Count == 0)
            {
                return false;
            }

            int start = inside?.Start ?? statements[0].SpanStart;
            int end = inside?.End ?? statements[statements.Count - 1].Span.End;
            foreach (IdentifierNameSyntax name in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if ((name.SpanStart < start || name.SpanStart >= end)
                    && declared.TryGetValue(name.Identifier.ValueText, out List<ISymbol>? candidates)
                    && model.GetSymbolInfo(name, cancellationToken).Symbol is { } used
                    && candidates.Exists(candidate => SymbolEqualityComparer.Default.Equals(candidate, used)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The body a statement belongs to: the member's, or the nearest lambda's or local function's.</summary>
        public static SyntaxNode FunctionBodyOf(SyntaxNode node)
        {
            SyntaxNode body = node;
            for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
            {
                if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax or AccessorDeclarationSyntax or GlobalStatementSyntax)
                {
                    return current;
                }

                body = current;
            }

            return body;
        }

        /// <summary>Calls made by <paramref name="node"/> itself, not by lambdas or local functions inside it.</summary>
        public static IEnumerable<InvocationExpressionSyntax> InvocationsIn(SyntaxNode node) =>
            node.DescendantNodesAndSelf(descendIntoChildren: n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax)
                .OfType<InvocationExpressionSyntax>();

        public static ExpressionSyntax? Unparenthesize(ExpressionSyntax? expression)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            return expression;
        }

        private static bool Mentions(SyntaxNode node, ISymbol symbol, SemanticModel model, CancellationToken cancellationToken)
        {
            foreach (IdentifierNameSyntax name in node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
            {
                if (name.Identifier.ValueText == symbol.Name
                    && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, symbol))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool HasOwnLoop(SyntaxNode jump, SyntaxNode within)
        {
            for (SyntaxNode? current = jump.Parent; current is not null && current != within.Parent; current = current.Parent)
            {
                if (current is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax
                    || (jump is BreakStatementSyntax && current is SwitchStatementSyntax))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
