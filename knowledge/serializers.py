"""API serializers for help-center articles: parse and shape; `knowledge.services` writes."""

from rest_framework import serializers

from api.fields import SlugLookupField
from tickets.models import Category


class ArticleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class ArticleDetailSerializer(ArticleSerializer):
    body = serializers.CharField(help_text="Markdown, as written.")
    body_html = serializers.CharField(help_text="Rendered and sanitised.")
    helpful_percent = serializers.IntegerField(allow_null=True)


class ArticleWriteSerializer(serializers.Serializer):
    """What an administrator may set. On update every field is optional."""

    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=200, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    body = serializers.CharField()
    category = SlugLookupField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=30
    )
    published = serializers.BooleanField(required=False)


class ArticleSearchSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
