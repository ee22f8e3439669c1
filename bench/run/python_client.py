"""The same workload through the `openai` package's async client, as Python toolkits send it."""
import asyncio
import json
import sys

from openai import AsyncOpenAI

url, items_path, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])


async def main() -> None:
    client = AsyncOpenAI(base_url=url, api_key="unused", max_retries=5)
    gate = asyncio.Semaphore(concurrency)
    items = [json.loads(line) for line in open(items_path)]

    async def ask(item: dict) -> str:
        options = "\n".join(f"{k}. {v}" for k, v in item["options"].items())
        prompt = f"{item['question']}\n{options}\nAnswer with the option's letter from the given choices directly."
        async with gate:
            response = await client.chat.completions.create(
                model="mock-model", messages=[{"role": "user", "content": prompt}], temperature=0)
        return response.choices[0].message.content or ""

    answers = await asyncio.gather(*(ask(item) for item in items))
    assert len(answers) == len(items)


asyncio.run(main())
