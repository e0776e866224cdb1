"""The store is not an open door: each service logs in as its own role and reaches only its own
databases; a client without credentials reaches nothing (FerretDB hands logins to PostgreSQL roles)."""

from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

from tests.support import stack as local_stack
from tests.support.running import database_name

# FerretDB shares one registry of databases among its clients: each sees the others' collection names
# (deploy/local/postgres/store_users.sql), never their documents.

pytestmark = pytest.mark.skipif(not local_stack.ours("ferretdb"), reason="the roles are the local stack's")


def client_of(uri: str) -> AsyncMongoClient:
    return AsyncMongoClient(uri, serverSelectionTimeoutMS=5000)


async def test_a_service_reaches_its_own_database_and_no_other_services(stack):
    intake = client_of(stack.env("intake")["MONGODB_URI"])
    dispatch = client_of(stack.env("dispatch")["MONGODB_URI"])
    own = intake[database_name("hl", "intake")]["work_orders"]
    key = f"WO-{uuid4().hex}"
    try:
        await own.insert_one({"_id": key, "phone": "+8613904512345"})
        assert await own.find_one({"_id": key}) is not None
        theirs = dispatch[database_name("hl", "intake")]["work_orders"]
        with pytest.raises(OperationFailure, match="permission denied"):
            await theirs.find_one({"_id": key})
        with pytest.raises(OperationFailure, match="permission denied"):
            await theirs.insert_one({"_id": f"{key}-forged"})
        with pytest.raises(OperationFailure, match="must be owner"):
            await dispatch[database_name("hl", "intake")].drop_collection("work_orders")
        assert await own.find_one({"_id": key}) is not None, "the other service changed nothing"
    finally:
        await intake.close()
        await dispatch.close()


async def test_a_client_without_credentials_or_with_a_wrong_password_reaches_nothing(stack):
    anonymous = client_of(stack.env()["MONGODB_URI"])
    wrong = client_of(stack.env("intake")["MONGODB_URI"].replace("intake:", "intake:x", 1))
    try:
        for client in (anonymous, wrong):
            with pytest.raises(OperationFailure):
                await client[database_name("hl", "intake")]["work_orders"].find_one({})
            with pytest.raises(OperationFailure):
                await client[f"stranger_{uuid4().hex[:8]}"]["notes"].insert_one({"_id": 1})
    finally:
        await anonymous.close()
        await wrong.close()
