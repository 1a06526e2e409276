from e2b_code_interpreter import AsyncSandbox


def test_python_hello(sandbox):
    execution = sandbox.run_code("print('hello'); 21 * 2")
    assert execution.logs.stdout == ["hello\n"]
    assert execution.text == "42"


async def test_async_hello(async_sandbox: AsyncSandbox):
    execution = await async_sandbox.run_code("x = 5; x * 3")
    assert execution.text == "15"
