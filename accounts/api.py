"""Sign in and out of the API: a token per device, revoked when that device signs out."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_not_required
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .models import ApiToken, Role, User
from .tokens import ApiTokenAuthentication, issue_token, revoke


class SignInSerializer(serializers.Serializer[None]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=200, trim_whitespace=False)
    device = serializers.CharField(
        max_length=100, help_text="a name for this device or integration"
    )

    def validate_username(self, value: str) -> str:
        # Read as the portal's login reads it (Django's UsernameField: trimmed, then NFKC), so a
        # username typed in full-width letters is one account, and one count of failures, at
        # both doors.
        return User.normalize_username(value)


DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})
TOKEN = inline_serializer(
    "IssuedToken",
    {
        "token": serializers.CharField(help_text="shown only in this response; keep it secret"),
        "device": serializers.CharField(),
        "expires": serializers.DateTimeField(),
    },
)


@extend_schema(
    auth=[],
    request=SignInSerializer,
    responses={
        201: TOKEN,
        # No body schema: a field refused at the edge (pa_portal.middleware: a NUL byte, deep
        # JSON) answers with field-level messages, a wrong password with "detail".
        400: OpenApiResponse(description="wrong username or password, or a field refused"),
        403: OpenApiResponse(DETAIL, description="not clinic staff"),
        415: OpenApiResponse(DETAIL, description="a body in no media type, or one not read here"),
        429: OpenApiResponse(DETAIL, description="too many failed attempts; see Retry-After"),
    },
)
@login_not_required
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def token_sign_in(request: Request) -> Response:
    """Clinic staff exchange their password for a token for one device (through the same
    lockout as the portal's login). Payer staff sign in to the portal, with their second factor."""
    form = SignInSerializer(data=request.data)
    if not form.is_valid():
        return Response(
            {"detail": "username, password and device are required.", "errors": form.errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    # The Django request: django-axes reads the address and the attempt from it.
    user = authenticate(
        request._request,
        username=form.validated_data["username"],
        password=form.validated_data["password"],
    )
    if user is None:
        return Response(
            {"detail": "Unable to sign in with those credentials."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if getattr(user, "role", None) != Role.PRESCRIBER:
        return Response(
            {"detail": "The API is for clinic staff."}, status=status.HTTP_403_FORBIDDEN
        )
    token, raw = issue_token(user, form.validated_data["device"], request=request._request)
    return Response(
        {"token": raw, "device": token.name, "expires": token.expires_at.isoformat()},
        status=status.HTTP_201_CREATED,
    )


@extend_schema(
    request=None,
    responses={
        204: OpenApiResponse(description="the token is revoked"),
        401: OpenApiResponse(DETAIL, description="no token, or not a valid one"),
    },
)
@login_not_required
@api_view(["POST"])
@authentication_classes([ApiTokenAuthentication])
@permission_classes([IsAuthenticated])
def token_sign_out(request: Request) -> Response:
    """Revoke the token this request came with; the user's other devices keep theirs."""
    if isinstance(request.auth, ApiToken):
        revoke(request.auth, request=request._request, why="signed out")
    return Response(status=status.HTTP_204_NO_CONTENT)
